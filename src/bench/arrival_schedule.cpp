// vLLM's request arrival process, seeded. Must not contain clocks or threads.
#include "bench/arrival_schedule.h"

#include <cmath>
#include <random>

namespace fovea::bench {

std::vector<double> arrival_times_s(int64_t num_requests, double request_rate, double burstiness, uint64_t seed) {
  std::vector<double> times(static_cast<size_t>(std::max<int64_t>(num_requests, 0)), 0.0);
  if (times.empty() || std::isinf(request_rate)) return times;
  std::mt19937_64 rng(seed);
  double sum_s = 0.0;
  for (double& time : times) {
    if (std::isinf(burstiness)) {
      sum_s += 1.0 / request_rate;
    } else {
      std::gamma_distribution<double> gap(burstiness, 1.0 / (request_rate * burstiness));
      sum_s += gap(rng);
    }
    time = sum_s;
  }
  // The drawn gaps sum to within a few percent of num/rate; scaling makes the offered load exact for every seed.
  const double scale = static_cast<double>(num_requests) / request_rate / times.back();
  for (double& time : times) time *= scale;
  return times;
}

}  // namespace fovea::bench
