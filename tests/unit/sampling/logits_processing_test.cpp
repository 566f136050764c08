// The logits transforms against goldens made by tools/golden/make_sampling_goldens.py with Hugging Face's logits
// processors (repetition, temperature, min_p, top-k, top-p) and vLLM's frequency/presence formula, in vLLM's order.
#include "engine/sampling/logits_processing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/sampling/sampling_params.h"

namespace fovea::engine {
namespace {

nlohmann::json load_cases() {
  std::ifstream in(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/sampling/data/logits_processing_cases.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

TEST(LogitsProcessingGolden, MatchesHuggingFaceProcessorsInVllmOrder) {
  nlohmann::json cases = load_cases();
  ASSERT_GE(cases.size(), 15u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<float> logits = c["logits"].get<std::vector<float>>();
    std::vector<int32_t> prompt = c["prompt_ids"].get<std::vector<int32_t>>();
    std::vector<int32_t> output = c["output_ids"].get<std::vector<int32_t>>();
    PenaltyScratch scratch;
    apply_penalties(logits, prompt, output, c["repetition_penalty"].get<double>(), c["frequency_penalty"].get<double>(),
                    c["presence_penalty"].get<double>(), scratch);
    apply_temperature(logits, c["temperature"].get<double>());
    apply_min_p(logits, c["min_p"].get<double>());
    int32_t top_k = c["top_k"].get<int32_t>();
    std::vector<int32_t> kept = apply_top_k_top_p(logits, top_k > 0 ? top_k : kTopKOff, c["top_p"].get<double>());

    const auto& expected = c["expected"];
    ASSERT_EQ(expected.size(), logits.size());
    size_t num_expected_kept = 0;
    for (size_t id = 0; id < logits.size(); ++id) {
      if (expected[id].is_null()) {
        EXPECT_TRUE(std::isinf(logits[id]) && logits[id] < 0) << "id " << id << " should be masked";
      } else {
        ++num_expected_kept;
        float want = expected[id].get<float>();
        EXPECT_NEAR(logits[id], want, 1e-5 * std::max(1.0f, std::fabs(want))) << "id " << id;
      }
    }
    EXPECT_EQ(kept.size(), num_expected_kept);
    // Scratch must be clean for the next row.
    for (int32_t count : scratch.counts) ASSERT_EQ(count, 0);
    for (uint8_t seen : scratch.seen) ASSERT_EQ(seen, 0);
  }
}

TEST(LogitsProcessing, TopKKeepsTiesAndReturnsIdOrder) {
  std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f, 2.0f, 0.5f};
  std::vector<int32_t> kept = apply_top_k_top_p(logits, 2, 1.0);
  EXPECT_EQ(kept, (std::vector<int32_t>{1, 3}));
  logits = {1.0f, 3.0f, 2.0f, 3.0f, 2.0f, 0.5f};
  kept = apply_top_k_top_p(logits, 3, 1.0);
  EXPECT_EQ(kept, (std::vector<int32_t>{1, 2, 3, 4}));  // the 3rd value (2.0) is tied: both stay
  EXPECT_TRUE(std::isinf(logits[0]));
}

TEST(LogitsProcessing, NoFilterReturnsFiniteIdsInIdOrder) {
  float inf = std::numeric_limits<float>::infinity();
  std::vector<float> logits = {0.0f, -inf, 2.0f, 1.0f};
  EXPECT_EQ(apply_top_k_top_p(logits, kTopKOff, 1.0), (std::vector<int32_t>{0, 2, 3}));
}

TEST(LogitsProcessing, TopPOnALargeVocabularyMatchesAFullSort) {
  // More ids than the first partial sort covers, with a flat distribution so that the cut lies deep.
  std::vector<float> logits(50000);
  for (size_t id = 0; id < logits.size(); ++id) logits[id] = static_cast<float>(std::sin(id * 0.37) * 0.01);
  std::vector<float> copy = logits;
  std::vector<int32_t> kept = apply_top_k_top_p(copy, kTopKOff, 0.5);
  // Reference: sort everything in double.
  std::vector<int32_t> order(logits.size());
  for (size_t id = 0; id < order.size(); ++id) order[id] = static_cast<int32_t>(id);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return logits[a] != logits[b] ? logits[a] > logits[b] : a < b; });
  double total = 0;
  float max_logit = logits[order[0]];
  for (float l : logits) total += std::exp(double{l} - max_logit);
  double above = 0;
  size_t num_kept = 0;
  while (num_kept < order.size() && above / total < 0.5)
    above += std::exp(double{logits[order[num_kept++]]} - max_logit);
  ASSERT_GT(num_kept, 1024u);
  std::vector<int32_t> expected(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(num_kept));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(kept, expected);
}

TEST(LogitsProcessing, StopMaskAndBiasIgnoreIdsOutsideTheRow) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  std::vector<int32_t> stops = {2, 7, -1};
  apply_stop_mask(logits, stops);
  EXPECT_TRUE(std::isinf(logits[2]));
  std::vector<std::pair<int32_t, float>> bias = {{0, 5.0f}, {9, 1.0f}};
  apply_logit_bias(logits, bias);
  EXPECT_FLOAT_EQ(logits[0], 6.0f);
}

}  // namespace
}  // namespace fovea::engine
