// The timed runs of `fovea bench-engine` at one tensor-parallel size: decode steps per batch size (CUDA graphs or op
// by op, with the all-reduces' share at tp > 1) and prefill steps per prompt length (optionally profiled per op).
// No model loading, no greedy check and no tables here (bench_engine_report.* prints the rows).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/bench_engine_limits.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_ranks.h"
#include "tensor/dtype.h"

namespace fovea::cli::bench_engine {

struct Measurement {
  int tp = 1;         // tensor-parallel ranks
  std::string phase;  // "decode" or "prefill"
  int64_t batch = 0;
  int64_t new_tokens = 0;  // per sequence per step
  int64_t context = 0;     // cached tokens per sequence before the first timed step
  int num_steps = 0;
  double mean_step_s = 0;
  double median_step_s = 0;
  double tokens_per_s = 0;
  double limit_tokens_per_s = 0;
  bool graphs = false;           // decode steps replayed CUDA graphs
  double all_reduce_step_s = 0;  // decode, tp > 1: the step's all-reduces alone (2 per layer + the embedding's)
};

// What the timed runs of one size need besides the flags and the ranks (whose models and caches are in place).
struct SizeTiming {
  int tp = 1;
  tensor::DType act = tensor::DType::kBF16;
  int64_t decode_blocks = 1;   // cache blocks per decode sequence
  int64_t prefill_blocks = 1;  // cache blocks of the prefill sequence
  bool mrope = false;
  int64_t vocab = 0;
  int64_t hidden = 0;
  int64_t num_layers = 0;
  model::DecodeGraphMode graph_mode = model::DecodeGraphMode::kOff;  // what --enforce-eager asks for
  bool graphs_on = false;       // the ranks took graph_mode as CUDA graphs (CUDA only)
  double copy_bytes_per_s = 0;  // 0: not measured, no decode limit
  double gemm_flops_per_s = 0;  // 0: not measured, no prefill limit
  StepCost cost;                // one rank's share
};

// Decode steps of every --batch-sizes batch over --context-len cached tokens (with --compare-eager, op by op first),
// appended to *results; `rng` draws the token ids.
base::Status time_decode(const BenchEngineOptions& options, RankSet& ranks, const SizeTiming& timing, std::mt19937& rng,
                         std::vector<Measurement>& results);

// One prompt of every --prefill-lens length, op by op, appended to *results (with --profile-prefill at tp 1, one more
// with per-op device timing); `rng` draws the token ids.
base::Status time_prefill(const BenchEngineOptions& options, RankSet& ranks, const SizeTiming& timing,
                          std::mt19937& rng, std::vector<Measurement>& results);

}  // namespace fovea::cli::bench_engine
