// When each request of a run is sent: all at once for an infinite --request-rate, else gaps drawn from a gamma
// distribution of shape --burstiness and mean 1/rate (burstiness 1 is a Poisson process), scaled so the last
// arrival lands at num_requests/rate as vLLM's bench does. Must not contain clocks or threads.
#pragma once

#include <cstdint>
#include <vector>

namespace fovea::bench {

// Seconds from the run's start, non-decreasing, one per request.
std::vector<double> arrival_times_s(int64_t num_requests, double request_rate, double burstiness, uint64_t seed);

}  // namespace fovea::bench
