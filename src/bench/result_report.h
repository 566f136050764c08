// A run's results as vLLM's `bench serve` reports them: the saved-result JSON (same keys: completed,
// request_throughput, output_throughput, total_input_tokens, mean_/median_/std_/pNN_{ttft,tpot,itl,e2el}_ms,
// input_lens, output_lens, ttfts, itls, errors, ...; plus fovea's image keys) and the printed table.
// Must not contain I/O.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_metrics.h"
#include "bench/request_record.h"

namespace fovea::bench {

struct RunInfo {
  std::string date;  // "%Y%m%d-%H%M%S", local time, as vLLM writes it
  std::string label;
  std::string model_id;
  std::string dataset_name;
  int64_t num_prompts = 0;
  double request_rate = 0.0;  // inf allowed
  double burstiness = 1.0;
  int64_t max_concurrency = 0;  // 0: none
  std::vector<std::string> percentile_metrics = {"ttft", "tpot", "itl", "e2el"};
  std::string sweep_parameter;  // empty outside a sweep
  std::string sweep_value;
};

// "99" for 99.0, "99.9" for 99.9 (vLLM's p_word).
std::string percentile_word(double p);

nlohmann::ordered_json result_json(const BenchMetrics& metrics, const std::vector<RequestRecord>& records,
                                   const RunInfo& info);

// The end-of-run table, then up to 10 failures with their error text.
std::string result_table(const BenchMetrics& metrics, const std::vector<RequestRecord>& records, const RunInfo& info);

}  // namespace fovea::bench
