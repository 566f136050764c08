// The numbers of one bench run, defined as vLLM's `bench serve` defines them (vllm/benchmarks/serve.py,
// calculate_metrics): over successful requests, TTFT and e2e latency per request, TPOT = (e2el - ttft) /
// (output_tokens - 1) for requests with more than one output token, ITL over all gaps of all requests; numpy's
// mean, median, population std and linearly interpolated percentiles; throughputs over the run's duration.
// Must not contain I/O or formatting.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "bench/request_record.h"

namespace fovea::bench {

struct LatencyStats {
  double mean_ms = 0.0;
  double median_ms = 0.0;
  double std_ms = 0.0;
  std::vector<std::pair<double, double>> percentiles_ms;  // (p, value), in the order asked
};

struct BenchMetrics {
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t total_input_tokens = 0;   // server usage.prompt_tokens of successful requests
  int64_t total_output_tokens = 0;  // server usage.completion_tokens of successful requests
  int64_t total_input_images = 0;   // images of successful requests
  double duration_s = 0.0;
  double request_throughput = 0.0;       // completed / duration
  double output_throughput = 0.0;        // output tokens / duration
  double total_token_throughput = 0.0;   // (input + output tokens) / duration
  double image_throughput = 0.0;         // images / duration
  double max_output_tokens_per_s = 0.0;  // the busiest one-second bucket of output chunks
  int64_t max_concurrent_requests = 0;   // the most requests in flight at once
  LatencyStats ttft;
  LatencyStats tpot;
  LatencyStats itl;
  LatencyStats e2el;
};

// numpy.percentile's default (linear) interpolation, `p` in [0, 100]; 0 for no values (numpy of `values or 0`).
double percentile(std::vector<double> values, double p);

LatencyStats latency_stats(const std::vector<double>& values_s, const std::vector<double>& percentiles);

BenchMetrics compute_metrics(const std::vector<RequestRecord>& records, double duration_s,
                             const std::vector<double>& percentiles);

}  // namespace fovea::bench
