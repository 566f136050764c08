// bench-engine's greedy agreement verdict (src/cli/bench_engine_agreement.h) on constructed runs: issue 12's 1e-2
// rule without noise-floor runs, the threshold the noise floor's RMS sets with them, and the RMS check.
#include "cli/bench_engine_agreement.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace fovea::cli::bench_engine {
namespace {

constexpr int kVocab = 512;
constexpr int kSteps = 20;

// TP=1's run: logits near 4 with the top token 0 ahead of token 1 by `margins[step]`.
GreedyRun first_run(const std::vector<float>& margins) {
  GreedyRun run;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> low(2.0f, 3.0f);
  for (float margin : margins) {
    std::vector<float> logits(kVocab);
    for (float& value : logits) value = low(rng);
    logits[0] = 4.0f + margin;
    logits[1] = 4.0f;
    run.tokens.push_back(0);
    run.margins.push_back(margin);
    run.logits.push_back(logits);
  }
  return run;
}

// `base` moved by Gaussian noise of RMS `rms` on every logit, and the token re-picked; at `flip_step` token 1 wins.
GreedyRun noisy_copy(const GreedyRun& base, int tp, int64_t num_seqs, double rms, int flip_step, uint32_t seed) {
  GreedyRun run;
  run.tp = tp;
  run.num_seqs = num_seqs;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(rms));
  for (size_t step = 0; step < base.logits.size(); ++step) {
    std::vector<float> logits = base.logits[step];
    for (size_t idx = 2; idx < logits.size(); ++idx) logits[idx] += noise(rng);
    const bool flip = static_cast<int>(step) == flip_step;
    logits[1] = flip ? logits[0] + 0.01f : logits[1];
    run.tokens.push_back(flip ? 1 : 0);
    run.margins.push_back(std::fabs(logits[0] - logits[1]));
    run.logits.push_back(logits);
  }
  return run;
}

std::vector<float> margins_with(int step, float margin) {
  std::vector<float> margins(kSteps, 0.5f);
  margins[static_cast<size_t>(step)] = margin;
  return margins;
}

TEST(GreedyAgreementTest, WithoutNoiseFloorAMissAboveOneHundredthFails) {
  const GreedyRun base = first_run(margins_with(5, 0.02f));
  EXPECT_FALSE(print_greedy_agreement("float32", {base, noisy_copy(base, 2, 1, 1e-5, 5, 1)}, {}).ok());
  EXPECT_TRUE(print_greedy_agreement("float32", {base, noisy_copy(base, 2, 1, 1e-5, -1, 1)}, {}).ok());
}

TEST(GreedyAgreementTest, WithoutNoiseFloorAMissBelowOneHundredthIsANearTie) {
  const GreedyRun base = first_run(margins_with(5, 0.005f));
  EXPECT_TRUE(print_greedy_agreement("float32", {base, noisy_copy(base, 2, 1, 1e-5, 5, 1)}, {}).ok());
}

TEST(GreedyAgreementTest, NoiseFloorWidensTheNearTieToThreeSigmasOfTheMarginNoise) {
  // RMS 0.024 per logit (measured on the 32B bf16 dummy): 3 x sqrt(2) x 0.024 = 0.102.
  const std::vector<GreedyRun> noise = {noisy_copy(first_run(margins_with(5, 0.0625f)), 1, 2, 0.024, -1, 11)};
  const GreedyRun base = first_run(margins_with(5, 0.0625f));
  EXPECT_TRUE(print_greedy_agreement("bfloat16", {base, noisy_copy(base, 2, 1, 0.024, 5, 2)}, noise).ok());
  const GreedyRun decided = first_run(margins_with(5, 0.15f));
  EXPECT_FALSE(print_greedy_agreement("bfloat16", {decided, noisy_copy(decided, 2, 1, 0.024, 5, 2)}, noise).ok());
}

TEST(GreedyAgreementTest, LogitsFartherFromTheFirstSizeThanItsNoiseFloorFail) {
  const GreedyRun base = first_run(margins_with(5, 0.5f));
  const std::vector<GreedyRun> noise = {noisy_copy(base, 1, 2, 0.024, -1, 11)};
  EXPECT_TRUE(print_greedy_agreement("bfloat16", {base, noisy_copy(base, 2, 1, 0.030, -1, 3)}, noise).ok());
  EXPECT_FALSE(print_greedy_agreement("bfloat16", {base, noisy_copy(base, 2, 1, 0.060, -1, 3)}, noise).ok());
}

}  // namespace
}  // namespace fovea::cli::bench_engine
