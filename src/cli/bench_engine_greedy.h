// The greedy runs of `fovea bench-engine --greedy-steps`: each tensor-parallel size decodes greedily from one seeded
// prompt (later sizes teacher-forced with the first size's tokens; bench_engine_agreement.h compares them). No
// timing, no model loading and no benchmark tables here.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "cli/bench_engine_agreement.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_ranks.h"

namespace fovea::cli::bench_engine {

// Batch sizes of the noise-floor runs: the first size's sequence again beside 1, 3 and 7 others, for 2-byte
// activations (bench_engine_agreement.h reads the other sizes against them). f32 has no such floor worth measuring
// (and its runs are the slow ones): none there.
inline constexpr int64_t kNoiseFloorBatches[] = {2, 4, 8};
inline constexpr int64_t kMaxNoiseFloorBatch = 8;

// Greedy decoding from one seeded prompt: the first size generates; `forced` (the first size's run) makes a later
// size read the first size's tokens, so every step is compared on the same context. With `num_seqs` > 1 the other
// sequences (their own seeded prompts, then the same tokens) share every step; only the first is recorded.
base::Result<GreedyRun> run_greedy(const BenchEngineOptions& options, RankSet& ranks, int tp, const GreedyRun* forced,
                                   int64_t num_seqs, int64_t blocks_per_seq, bool mrope, int64_t vocab);

}  // namespace fovea::cli::bench_engine
