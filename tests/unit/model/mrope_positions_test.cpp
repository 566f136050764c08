// 3-D rotary positions against HF's get_rope_index and its decode positions (data/model_layout_goldens.json), and
// the layout errors.
#include "model/mrope_positions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model_test_util.h"

namespace fovea::model {
namespace {

const nlohmann::json& goldens() {
  static const nlohmann::json json = nlohmann::json::parse(
      testing::read_text(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/model/data/model_layout_goldens.json"));
  return json;
}

std::vector<VisualSegment> segments_of(const nlohmann::json& c) {
  std::vector<VisualSegment> segments;
  for (const auto& s : c["segments"]) {
    segments.push_back({s["start_idx"], s["grid_thw"][0], s["grid_thw"][1], s["grid_thw"][2]});
  }
  return segments;
}

TEST(MropePositionsTest, MatchesHuggingFaceGetRopeIndex) {
  const int64_t merge = goldens()["spatial_merge_size"];
  ASSERT_GE(goldens()["rope_index"].size(), 9u);
  for (const auto& c : goldens()["rope_index"]) {
    const std::string name = c["name"];
    const int64_t num_tokens = c["num_tokens"];
    auto result = compute_mrope_positions(num_tokens, segments_of(c), merge);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status().to_string();
    const std::vector<std::vector<int32_t>> expected = c["positions"];
    for (size_t axis = 0; axis < 3; ++axis) {
      const std::vector<int32_t> row(result->positions.begin() + static_cast<int64_t>(axis) * num_tokens,
                                     result->positions.begin() + static_cast<int64_t>(axis + 1) * num_tokens);
      EXPECT_EQ(row, expected[axis]) << name << " axis " << axis;
    }
    EXPECT_EQ(result->rope_delta, c["rope_delta"].get<int64_t>()) << name;
    // HF's forward for the tokens decoded after the prompt (its cached rope_deltas path): same in all three rows.
    const std::vector<std::vector<int64_t>> decode = c["decode_positions"];
    ASSERT_FALSE(decode.empty()) << name;
    for (size_t step = 0; step < decode.size(); ++step) {
      const int64_t position = mrope_decode_position(num_tokens + static_cast<int64_t>(step), result->rope_delta);
      EXPECT_EQ(decode[step], std::vector<int64_t>(3, position)) << name << " decode step " << step;
    }
  }
}

TEST(MropePositionsTest, DecodePositionsContinueAfterThePrompt) {
  // One image of grid [1, 4, 6] (2 x 3 merged tokens) at index 2 of 10 tokens: the prompt's last position is
  // 2 + max(2, 3) + 2 = 7... computed here, then token 10 sits at 10 + rope_delta = last + 1.
  const std::vector<VisualSegment> segments = {{2, 1, 4, 6}};
  auto result = compute_mrope_positions(10, segments, 2);
  ASSERT_TRUE(result.ok());
  const int32_t last = result->positions[9];
  EXPECT_EQ(result->positions[10 + 9], last);
  EXPECT_EQ(result->positions[20 + 9], last);
  EXPECT_EQ(mrope_decode_position(10, result->rope_delta), last + 1);
  EXPECT_EQ(result->rope_delta, last + 1 - 10);
}

TEST(MropePositionsTest, TextOnlyIsIdentity) {
  auto result = compute_mrope_positions(5, {}, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->positions, (std::vector<int32_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
  EXPECT_EQ(result->rope_delta, 0);
  auto empty = compute_mrope_positions(0, {}, 2);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->positions.empty());
}

TEST(MropePositionsTest, BadLayoutsAreErrors) {
  const std::vector<std::pair<std::vector<VisualSegment>, std::string>> bad = {
      {{{0, 1, 4, 4}, {2, 1, 4, 4}}, "overlaps"},  // second segment starts inside the first
      {{{8, 1, 4, 4}}, "runs past"},               // 4 tokens from 8 in a 10-token prompt
      {{{-1, 1, 2, 2}}, "overlaps"},
      {{{0, 1, 3, 4}}, "multiples of the merge size"},
      {{{0, 0, 2, 2}}, "t must be >= 1"},
  };
  for (const auto& [segments, part] : bad) {
    auto result = compute_mrope_positions(10, segments, 2);
    ASSERT_FALSE(result.ok()) << part;
    EXPECT_NE(result.status().message().find(part), std::string::npos) << result.status().message();
  }
  EXPECT_FALSE(compute_mrope_positions(10, {}, 0).ok());
  EXPECT_FALSE(compute_mrope_positions(-1, {}, 2).ok());
}

}  // namespace
}  // namespace fovea::model
