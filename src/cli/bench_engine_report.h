// What `fovea bench-engine` prints and writes about its timings: the progress line of each measurement, the table of
// one tensor-parallel size, its --output-json file, and the table across sizes. Formatting only: no device work, no
// timing and no greedy check here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/bench_engine_limits.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_timing.h"
#include "model/model.h"
#include "tensor/dtype.h"

namespace fovea::cli::bench_engine {

// What the table and the JSON of one tensor-parallel size show besides its measurements.
struct SizeReport {
  std::string label;                    // the model's name in the table, with " tp=N" when several sizes run
  const model::Model* model = nullptr;  // rank 0's
  int tp = 1;
  tensor::DType act = tensor::DType::kBF16;
  tensor::DType kv_dtype = tensor::DType::kBF16;
  double load_s = 0;
  uint64_t kv_bytes = 0;  // rank 0's KV cache
  double copy_bytes_per_s = 0;
  double gemm_flops_per_s = 0;
  StepCost cost;  // one rank's share
};

// One line as soon as a measurement is done.
void print_progress(const Measurement& m);

void print_table(const BenchEngineOptions& options, const DeviceDescription& device, const SizeReport& report,
                 const std::vector<Measurement>& results);

// The same as print_table, as JSON in `path`.
base::Status write_json(const std::string& path, const BenchEngineOptions& options, const DeviceDescription& device,
                        const SizeReport& report, const std::vector<Measurement>& results);

// Each tp size's tok/s beside the first size's, row by row.
void print_tp_comparison(const BenchEngineOptions& options, const DeviceDescription& device,
                         const std::vector<Measurement>& results);

}  // namespace fovea::cli::bench_engine
