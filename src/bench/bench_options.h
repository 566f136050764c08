// Everything one `fovea bench` invocation is asked to do, with vLLM's `bench serve` defaults where vLLM has the
// setting. Filled by the CLI (src/cli/bench_command.cpp); read by run_bench. Must not contain logic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/dataset_builder.h"
#include "bench/load_runner.h"

namespace fovea::bench {

struct BenchOptions {
  std::string base_url = "http://127.0.0.1:8000";
  std::string model;    // empty: the first model of /v1/models
  std::string api_key;  // empty: $OPENAI_API_KEY when set
  DatasetOptions dataset;
  LoadOptions load;
  int64_t num_warmups = 0;
  double ready_check_timeout_s = 600.0;  // 0 skips the initial test request
  bool ignore_eos = false;
  std::string extra_body_json;  // a JSON object merged into every request body
  std::vector<double> percentiles = {90.0, 99.0};
  std::vector<std::string> percentile_metrics = {"ttft", "tpot", "itl", "e2el"};
  std::string label;
  std::string json_path;     // --json / --result-filename: where the saved results go (empty: nowhere)
  bool save_result = false;  // --save-result without a file name: vLLM's generated name
  std::string result_dir;
  std::string sweep;       // --sweep NAME=V1,V2 (empty: one run)
  std::string chart_path;  // --plot: the sweep's SVG (empty: next to the JSON, else in the current folder)
  std::vector<std::string> chart_metrics = {"request_throughput", "output_throughput", "mean_ttft_ms", "mean_tpot_ms",
                                            "mean_e2el_ms"};
  bool show_progress = true;
};

}  // namespace fovea::bench
