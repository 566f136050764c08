// Vision patch layout against transformers.vision_utils (data/model_layout_goldens.json): rotary coordinates,
// bilinear position-table taps and weights (bit for bit), attention segments; and the interpolation sum.
#include "model/vision_patch_layout.h"

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

TEST(VisionPatchLayoutTest, MatchesHuggingFace) {
  const int64_t merge = goldens()["spatial_merge_size"];
  ASSERT_GE(goldens()["vision_layout"].size(), 4u);
  for (const auto& c : goldens()["vision_layout"]) {
    const int64_t side = c["side"];
    std::vector<VisionGrid> grids;
    std::vector<int32_t> rows;
    std::vector<int32_t> cols;
    std::vector<PosEmbedTaps> taps;
    for (const auto& g : c["grids"]) {
      grids.push_back({g[0], g[1], g[2]});
      append_patch_coordinates(grids.back(), merge, rows, cols);
      append_pos_embed_taps(grids.back(), merge, side, taps);
    }
    const auto& coords = c["coords"];
    ASSERT_EQ(rows.size(), coords.size());
    ASSERT_EQ(taps.size(), coords.size());
    size_t num_weight_mismatches = 0;
    for (size_t idx = 0; idx < rows.size(); ++idx) {
      ASSERT_EQ(rows[idx], coords[idx][0].get<int32_t>()) << "patch " << idx;
      ASSERT_EQ(cols[idx], coords[idx][1].get<int32_t>()) << "patch " << idx;
      for (size_t tap = 0; tap < 4; ++tap) {
        ASSERT_EQ(taps[idx].rows[tap], c["tap_rows"][idx][tap].get<int32_t>()) << "patch " << idx << " tap " << tap;
        num_weight_mismatches += taps[idx].weights[tap] != c["tap_weights"][idx][tap].get<float>();
      }
    }
    EXPECT_EQ(num_weight_mismatches, 0u) << "bilinear weights differ from torch's fp32 values";
    EXPECT_EQ(vision_cu_seqlens(grids), c["cu_seqlens"].get<std::vector<int32_t>>());
  }
}

TEST(VisionPatchLayoutTest, InterpolationSumsTheFourTaps) {
  // A 2x2 table of two-wide rows; one patch halfway between everything sees the mean of the four rows.
  const std::vector<float> table = {0, 10, 2, 20, 4, 40, 6, 80};
  PosEmbedTaps patch;
  patch.rows = {0, 1, 2, 3};
  patch.weights = {0.25f, 0.25f, 0.25f, 0.25f};
  std::vector<float> out(2);
  interpolate_pos_embed(std::span<const PosEmbedTaps>(&patch, 1), table.data(), 2, out.data());
  EXPECT_EQ(out, (std::vector<float>{3.0f, 37.5f}));
}

TEST(VisionPatchLayoutTest, VideoRepeatsTheFramePerTemporalPatch) {
  std::vector<int32_t> rows;
  std::vector<int32_t> cols;
  std::vector<PosEmbedTaps> taps;
  const VisionGrid grid{3, 2, 4};
  append_patch_coordinates(grid, 2, rows, cols);
  append_pos_embed_taps(grid, 2, 8, taps);
  ASSERT_EQ(rows.size(), 24u);
  ASSERT_EQ(taps.size(), 24u);
  // Merge-window order: (0,0) (0,1) (1,0) (1,1) then the next window (0,2) ...
  EXPECT_EQ(std::vector<int32_t>(rows.begin(), rows.begin() + 8), (std::vector<int32_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(std::vector<int32_t>(cols.begin(), cols.begin() + 8), (std::vector<int32_t>{0, 1, 0, 1, 2, 3, 2, 3}));
  for (size_t idx = 0; idx < 8; ++idx) {
    EXPECT_EQ(rows[idx + 8], rows[idx]);
    EXPECT_EQ(taps[idx + 16].rows, taps[idx].rows);
    EXPECT_EQ(taps[idx + 16].weights, taps[idx].weights);
  }
  const std::vector<VisionGrid> grids = {grid};
  EXPECT_EQ(vision_cu_seqlens(grids), (std::vector<int32_t>{0, 8, 16, 24}));
}

}  // namespace
}  // namespace fovea::model
