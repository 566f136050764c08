// The greedy agreement check of `fovea bench-engine --greedy-steps`: each tensor-parallel size decodes greedily from
// one seeded prompt (later sizes teacher-forced with the first size's tokens), then every later size is compared with
// the first, step by step. No timing, no model loading and no benchmark tables here.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_ranks.h"

namespace fovea::cli::bench_engine {

// The greedy run of one tensor-parallel size: the token it picks after the prompt and each decode step, and the
// top-1 minus top-2 logit there.
struct GreedyRun {
  int tp = 1;
  int64_t num_seqs = 1;  // sequences in each step; the compared one is the first
  std::vector<int32_t> tokens;
  std::vector<float> margins;
  std::vector<std::vector<float>> logits;  // [steps][vocab]: each step's row, to compare sizes logit by logit
};

// Batch sizes of the noise-floor runs: the first size's sequence again beside 1, 3 and 7 others, for 2-byte
// activations. A bf16 model's logits move when only the batch around a sequence changes (other kernel shapes, other
// rounding): where the first size itself picks another token beside other sequences, its margin was below what bf16
// arithmetic decides, and a tensor-parallel size's miss there is a near-tie too. f32 has no such floor to measure
// (and its runs are the slow ones): none there.
inline constexpr int64_t kNoiseFloorBatches[] = {2, 4, 8};
inline constexpr int64_t kMaxNoiseFloorBatch = 8;

// Greedy decoding from one seeded prompt: the first size generates; `forced` (the first size's run) makes a later
// size read the first size's tokens, so every step is compared on the same context. With `num_seqs` > 1 the other
// sequences (their own seeded prompts, then the same tokens) share every step; only the first is recorded.
base::Result<GreedyRun> run_greedy(const BenchEngineOptions& options, RankSet& ranks, int tp, const GreedyRun* forced,
                                   int64_t num_seqs, int64_t blocks_per_seq, bool mrope, int64_t vocab);

// Later sizes against the first: a step agrees when it picks the first size's token; a disagreement where the
// first size's top-1 margin is below the near-tie threshold is a near-tie, counted apart. The threshold is issue 12's
// 1e-2, or the largest first-size margin at which a noise-floor run picked another token when that is larger. Each miss
// is shown with that margin in units of the top logit's bf16 spacing (a bf16 model's logits are bf16 values), the other
// size's margin between the same two tokens, and the step's RMS logit difference over the vocabulary. Fails when
// a size disagrees at a step that is not a near-tie. The noise-floor runs are rows of the same table that never
// fail the check.
base::Status print_greedy_agreement(const BenchEngineOptions& options, const std::vector<GreedyRun>& runs,
                                    const std::vector<GreedyRun>& noise_floor);

}  // namespace fovea::cli::bench_engine
