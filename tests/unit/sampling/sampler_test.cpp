// The batched sampler: greedy, seeded reproducibility whatever the batch, sampled frequencies against the
// processed distribution, min_tokens and logit_bias, logprobs (raw and processed), and its errors.
#include "engine/sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "base/thread_pool.h"

namespace fovea::engine {
namespace {

std::vector<float> random_logits(size_t vocab, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> logits(vocab);
  for (float& l : logits) l = normal(gen);
  return logits;
}

SamplingParams random_params(double temperature = 1.0) {
  SamplingParams params;
  params.temperature = temperature;
  return params;
}

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  SamplingParams params = random_params(0.0);
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  SamplerRow row{&params, {}, {}, 0};
  auto out = Sampler().sample(logits, 4, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].token_id, 1);
  EXPECT_FALSE((*out)[0].has_logprobs);
}

TEST(Sampler, GreedyAppliesPenaltiesAndBiasButNotTemperature) {
  SamplingParams params = random_params(0.0);
  params.repetition_penalty = 2.0;
  std::vector<float> logits = {3.0f, 2.0f, 1.0f};
  std::vector<int32_t> prompt = {0};
  SamplerRow row{&params, prompt, {}, 0};
  auto out = Sampler().sample(logits, 3, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].token_id, 1);  // 3 / 2 = 1.5 < 2
  params.logit_bias = {{2, 5.0f}};
  out = Sampler().sample(logits, 3, std::span<const SamplerRow>(&row, 1));
  EXPECT_EQ((*out)[0].token_id, 2);
}

// A sequence's tokens depend on its seed and its own history only: the same rows in other batches, other
// orders and with a thread pool sample the same tokens.
TEST(Sampler, SeededRowsAreIndependentOfBatchComposition) {
  constexpr int64_t kVocab = 1000;
  SamplingParams params = random_params(0.9);
  params.top_p = 0.95;
  params.top_k = 50;
  std::vector<int32_t> prompt = {1, 2, 3};

  auto generate = [&](uint64_t seed, int num_steps, int num_companions, bool reverse, base::ThreadPool* pool) {
    std::vector<int32_t> output;
    std::mt19937 companion_gen(static_cast<uint32_t>(num_companions * 7 + (reverse ? 1 : 0)));
    Sampler sampler(LogprobsMode::kRawLogprobs, pool);
    std::vector<std::vector<int32_t>> companion_outputs(static_cast<size_t>(num_companions));
    for (int step = 0; step < num_steps; ++step) {
      std::vector<SamplerRow> rows;
      std::vector<float> logits;
      for (int c = 0; c < num_companions; ++c) {
        rows.push_back({&params, prompt, companion_outputs[static_cast<size_t>(c)], companion_gen()});
        std::vector<float> l = random_logits(kVocab, companion_gen());
        logits.insert(logits.end(), l.begin(), l.end());
      }
      // The sequence under test: logits a function of its history only (like a model).
      std::vector<float> own = random_logits(kVocab, static_cast<uint32_t>(output.size() * 31 + 5));
      SamplerRow own_row{&params, prompt, output, seed};
      if (reverse) {
        rows.insert(rows.begin(), own_row);
        logits.insert(logits.begin(), own.begin(), own.end());
      } else {
        rows.push_back(own_row);
        logits.insert(logits.end(), own.begin(), own.end());
      }
      auto sampled = sampler.sample(logits, kVocab, rows);
      EXPECT_TRUE(sampled.ok());
      size_t own_idx = reverse ? 0 : rows.size() - 1;
      output.push_back((*sampled)[own_idx].token_id);
      for (int c = 0; c < num_companions; ++c) {
        companion_outputs[static_cast<size_t>(c)].push_back(
            (*sampled)[static_cast<size_t>(c) + (reverse ? 1 : 0)].token_id);
      }
    }
    return output;
  };
  base::ThreadPool pool(3);
  std::vector<int32_t> alone = generate(42, 24, 0, false, nullptr);
  EXPECT_EQ(generate(42, 24, 5, false, nullptr), alone);
  EXPECT_EQ(generate(42, 24, 9, true, nullptr), alone);
  EXPECT_EQ(generate(42, 24, 7, true, &pool), alone);
  EXPECT_NE(generate(43, 24, 0, false, nullptr), alone);
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
  std::vector<double> probs(logits.size());
  double max_logit = *std::max_element(logits.begin(), logits.end()) / temperature;
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) total += probs[i] = std::exp(logits[i] / temperature - max_logit);
  for (double& p : probs) p /= total;
  return probs;
}

// Pearson's chi-square of observed counts against expected probabilities (cells with expected count < 5 pooled).
double chi_square(const std::vector<int>& counts, const std::vector<double>& probs, int num_draws, int* dof) {
  double stat = 0, pooled_obs = 0, pooled_exp = 0;
  *dof = -1;
  for (size_t i = 0; i < counts.size(); ++i) {
    double expected = probs[i] * num_draws;
    if (expected < 5) {
      pooled_obs += counts[i];
      pooled_exp += expected;
      continue;
    }
    stat += (counts[i] - expected) * (counts[i] - expected) / expected;
    ++*dof;
  }
  if (pooled_exp > 0) {
    stat += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / pooled_exp;
    ++*dof;
  }
  return stat;
}

std::vector<int> draw_counts(const SamplingParams& params, const std::vector<float>& logits, int num_draws) {
  // Many sequences (seeds) at once, one row each: also exercises large batches.
  std::vector<int> counts(logits.size(), 0);
  std::vector<SamplerRow> rows;
  std::vector<float> batch;
  for (int draw_idx = 0; draw_idx < num_draws; ++draw_idx) {
    rows.push_back({&params, {}, {}, params.sequence_seed(draw_idx)});
    batch.insert(batch.end(), logits.begin(), logits.end());
  }
  auto out = Sampler().sample(batch, static_cast<int64_t>(logits.size()), rows);
  EXPECT_TRUE(out.ok());
  for (const SampleOutput& o : *out) ++counts[static_cast<size_t>(o.token_id)];
  return counts;
}

TEST(Sampler, FrequenciesFollowTheTemperedDistribution) {
  std::vector<float> logits = random_logits(12, 7);
  SamplingParams params = random_params(0.7);
  params.generator_seed = 1234;
  constexpr int kDraws = 40000;
  std::vector<int> counts = draw_counts(params, logits, kDraws);
  int dof = 0;
  double stat = chi_square(counts, softmax(logits, 0.7), kDraws, &dof);
  // The 1e-6 upper quantile of chi-square with <= 11 degrees of freedom is below 45.
  EXPECT_LT(stat, 45.0) << "dof " << dof;
}

TEST(Sampler, FrequenciesFollowTheTopKTopPDistribution) {
  std::vector<float> logits = random_logits(16, 11);
  SamplingParams params = random_params(1.0);
  params.top_k = 6;
  params.top_p = 0.8;
  params.generator_seed = 99;
  // Expected: the 6 best ids, then the shortest prefix whose mass above each member stays below 0.8, renormalized.
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  order.resize(6);
  double total = 0;
  for (int32_t id : order) total += std::exp(double{logits[id]});
  std::vector<double> probs(logits.size(), 0.0);
  double above = 0, kept_mass = 0;
  for (int32_t id : order) {
    if (above / total >= 0.8) break;
    probs[id] = std::exp(double{logits[id]});
    kept_mass += probs[id];
    above += probs[id];
  }
  for (double& p : probs) p /= kept_mass;
  constexpr int kDraws = 40000;
  std::vector<int> counts = draw_counts(params, logits, kDraws);
  for (size_t id = 0; id < probs.size(); ++id) {
    if (probs[id] == 0.0) {
      EXPECT_EQ(counts[id], 0) << "masked id " << id << " was sampled";
    }
  }
  int dof = 0;
  EXPECT_LT(chi_square(counts, probs, kDraws, &dof), 45.0) << "dof " << dof;
}

TEST(Sampler, MinPNeverSamplesBelowTheThreshold) {
  std::vector<float> logits = random_logits(32, 3);
  SamplingParams params = random_params(1.0);
  params.min_p = 0.3;
  std::vector<int> counts = draw_counts(params, logits, 5000);
  float max_logit = *std::max_element(logits.begin(), logits.end());
  for (size_t id = 0; id < logits.size(); ++id) {
    if (std::exp(double{logits[id]} - max_logit) < 0.3) {
      EXPECT_EQ(counts[id], 0) << "id " << id;
    }
  }
}

TEST(Sampler, MinTokensMasksEveryStopIdUntilReached) {
  SamplingParams params = random_params(0.0);
  params.min_tokens = 2;
  params.all_stop_token_ids = {0, 3};
  std::vector<float> logits = {9.0f, 1.0f, 2.0f, 8.0f};
  std::vector<int32_t> output = {1};
  SamplerRow row{&params, {}, output, 0};
  auto out = Sampler().sample(logits, 4, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].token_id, 2);
  output.push_back(2);
  row.output_token_ids = output;
  out = Sampler().sample(logits, 4, std::span<const SamplerRow>(&row, 1));
  EXPECT_EQ((*out)[0].token_id, 0);
}

TEST(Sampler, RawLogprobsDescribeTheModelsDistribution) {
  std::vector<float> logits = random_logits(50, 21);
  SamplingParams params = random_params(0.5);
  params.top_k = 3;
  params.repetition_penalty = 1.5;
  params.logprobs = 5;
  std::vector<int32_t> prompt = {4, 8};
  SamplerRow row{&params, prompt, {}, 77};
  auto out = Sampler(LogprobsMode::kRawLogprobs).sample(logits, 50, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  const SampleOutput& o = (*out)[0];
  std::vector<double> probs = softmax(logits, 1.0);
  ASSERT_TRUE(o.has_logprobs);
  EXPECT_NEAR(o.logprob, std::log(probs[o.token_id]), 1e-5);
  int64_t rank = 0;
  for (double p : probs) rank += p >= probs[o.token_id] ? 1 : 0;
  EXPECT_EQ(o.rank, rank);
  ASSERT_EQ(o.top_logprobs.size(), 5u);
  std::vector<double> sorted = probs;
  std::sort(sorted.rbegin(), sorted.rend());
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(o.top_logprobs[i].logprob, std::log(sorted[i]), 1e-5);
    EXPECT_NEAR(probs[o.top_logprobs[i].token_id], sorted[i], 1e-12);
  }
}

TEST(Sampler, ProcessedLogprobsDescribeTheSampledDistribution) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f, 0.0f};
  SamplingParams params = random_params(0.5);
  params.top_k = 2;
  params.logprobs = 3;
  SamplerRow row{&params, {}, {}, 5};
  auto out = Sampler(LogprobsMode::kProcessedLogprobs).sample(logits, 4, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  const SampleOutput& o = (*out)[0];
  // Kept: ids 2 and 1 with logits 6 and 4 after temperature.
  double lse = std::log(std::exp(6.0) + std::exp(4.0));
  ASSERT_EQ(o.top_logprobs.size(), 3u);
  EXPECT_EQ(o.top_logprobs[0].token_id, 2);
  EXPECT_NEAR(o.top_logprobs[0].logprob, 6.0 - lse, 1e-5);
  EXPECT_EQ(o.top_logprobs[1].token_id, 1);
  EXPECT_NEAR(o.top_logprobs[1].logprob, 4.0 - lse, 1e-5);
  EXPECT_TRUE(std::isinf(o.top_logprobs[2].logprob));
  EXPECT_TRUE(o.token_id == 1 || o.token_id == 2);
}

TEST(Sampler, RejectsBadShapesAndRowsWithoutFiniteLogits) {
  SamplingParams params = random_params(1.0);
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  SamplerRow row{&params, {}, {}, 0};
  EXPECT_FALSE(Sampler().sample(logits, 2, std::span<const SamplerRow>(&row, 1)).ok());
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> bad = {nan, -std::numeric_limits<float>::infinity(), nan};
  auto out = Sampler().sample(bad, 3, std::span<const SamplerRow>(&row, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("row 0"), std::string::npos);
  // A NaN entry among finite ones is never sampled.
  std::vector<float> mixed = {nan, 0.0f, nan};
  out = Sampler().sample(mixed, 3, std::span<const SamplerRow>(&row, 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].token_id, 1);
}

}  // namespace
}  // namespace fovea::engine
