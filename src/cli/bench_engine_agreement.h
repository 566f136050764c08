// The greedy agreement verdict of `fovea bench-engine --greedy-steps`: every later tensor-parallel size against the
// first, step by step, read against the first size's own noise floor. Plain data in, a table and a verdict out: no
// model, no device and no timing here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

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

// Issue 12's rule: a disagreement where the first size's top-1 margin is below 1e-2 is a near-tie.
inline constexpr float kTieMargin = 1e-2f;

// How far the noise floor reaches, in standard deviations of the margin noise: a bf16 model's logits move when only
// the batch around a sequence changes (other kernel shapes, other rounding), by a measured RMS r per logit; the
// difference of two logits then moves by about sqrt(2) r, and a margin below kNoiseSigmas of those is not decided by
// bf16 arithmetic, at any tensor-parallel size.
inline constexpr double kNoiseSigmas = 3.0;

// A later size whose RMS logit difference exceeds this multiple of the noise floor's is off by more than rounding.
inline constexpr double kMaxRmsOverNoise = 1.5;

// Later sizes against the first: a step agrees when it picks the first size's token; a disagreement where the first
// size's margin is below the near-tie threshold is a near-tie, counted apart. The threshold is kTieMargin, or, with
// noise-floor runs (the first size again beside other sequences), kNoiseSigmas x sqrt(2) x their largest RMS logit
// difference when that is larger. Each miss is shown with that margin in units of the top logit's bf16 spacing, the
// other run's margin between the same two tokens, and the step's RMS logit difference. Fails when a size disagrees
// at a step that is not a near-tie, or (with noise-floor runs) when its RMS logit difference exceeds
// kMaxRmsOverNoise x the noise floor's. The noise-floor runs are rows of the same table and never fail the check.
base::Status print_greedy_agreement(const std::string& dtype, const std::vector<GreedyRun>& runs,
                                    const std::vector<GreedyRun>& noise_floor);

}  // namespace fovea::cli::bench_engine
