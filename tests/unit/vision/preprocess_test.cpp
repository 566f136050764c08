// smart_resize against the generator's table (values computed by transformers), patch order against the spec's
// index formula, resize edge cases, option validation and the whole pipeline's bookkeeping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_files.h"
#include "vision/bicubic_resampler.h"
#include "vision/image_preprocessor.h"
#include "vision/patchifier.h"
#include "vision/smart_resize.h"

namespace fovea::vision {
namespace {

const nlohmann::json& smart_resize_table() {
  static const nlohmann::json table =
      nlohmann::json::parse(testing_files::read_bytes(testing_files::vision_data_dir() + "cases.json"))["smart_resize"];
  return table;
}

RgbImage pattern_image(int64_t width, int64_t height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width * height * 3));
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>((i * 7919) >> 3);
  return image;
}

TEST(SmartResizeTest, MatchesTransformersOnEdgeCases) {
  ASSERT_GT(smart_resize_table().size(), 400u);
  for (const auto& row : smart_resize_table()) {
    auto size = smart_resize(row["height"], row["width"], row["factor"], row["min_pixels"], row["max_pixels"]);
    if (row["result"].is_null()) {
      ASSERT_FALSE(size.ok()) << row.dump();
      EXPECT_NE(size.status().message().find("aspect ratio"), std::string::npos) << size.status().message();
      EXPECT_NE(size.status().message().find("200"), std::string::npos);
    } else {
      ASSERT_TRUE(size.ok()) << row.dump() << ": " << size.status().message();
      EXPECT_EQ(size->height, row["result"][0]) << row.dump();
      EXPECT_EQ(size->width, row["result"][1]) << row.dump();
    }
  }
}

TEST(SmartResizeTest, RefusesEmptySidesAndBadParameters) {
  EXPECT_FALSE(smart_resize(0, 10, 32, 4096, 16777216).ok());
  EXPECT_FALSE(smart_resize(10, -1, 32, 4096, 16777216).ok());
  EXPECT_FALSE(smart_resize(10, 10, 0, 4096, 16777216).ok());
  EXPECT_FALSE(smart_resize(10, 10, 32, 0, 16777216).ok());
  EXPECT_FALSE(smart_resize(10, 10, 32, 4096, 0).ok());
  EXPECT_FALSE(smart_resize(int64_t{1} << 40, int64_t{1} << 40, 32, 4096, 16777216).ok());
}

// pixel_values[row][col] == F[T*tp+t][C][(BH*m+mh)*ps+py][(BW*m+mw)*ps+px] with the spec's row and column formulas
// (section 4.2), checked for non-default patch, merge and temporal sizes.
TEST(PatchifyTest, FollowsTheSpecIndexFormula) {
  struct Params {
    int64_t patch, merge, temporal;
  };
  for (const Params p : {Params{4, 2, 3}, Params{2, 1, 1}, Params{16, 2, 2}, Params{3, 3, 2}}) {
    PreprocessOptions options;
    options.patch_size = p.patch;
    options.merge_size = p.merge;
    options.temporal_patch_size = p.temporal;
    options.image_mean = {0.25, 0.5, 0.75};
    options.image_std = {0.5, 0.25, 0.125};
    options.min_pixels = 1;
    const int64_t factor = p.patch * p.merge;
    const RgbImage image = pattern_image(factor * 3, factor * 2);
    auto out = normalize_and_patchify(image, options);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const int64_t gh = image.height / p.patch;
    const int64_t gw = image.width / p.patch;
    ASSERT_EQ(out->shape.dims(), (std::vector<int64_t>{gh * gw, 3 * p.temporal * p.patch * p.patch}));
    EXPECT_EQ(out->grid_thw, (std::array<int64_t, 3>{1, gh, gw}));
    EXPECT_EQ(out->num_tokens, gh * gw / (p.merge * p.merge));
    const int64_t cols = out->shape[1];
    for (int64_t bh = 0; bh < gh / p.merge; ++bh) {
      for (int64_t bw = 0; bw < gw / p.merge; ++bw) {
        for (int64_t mh = 0; mh < p.merge; ++mh) {
          for (int64_t mw = 0; mw < p.merge; ++mw) {
            const int64_t row = ((bh * (gw / p.merge) + bw) * p.merge + mh) * p.merge + mw;
            for (int64_t c = 0; c < 3; ++c) {
              const float mean = static_cast<float>(options.image_mean[c]) * 255.0f;
              const float deviation = static_cast<float>(options.image_std[c]) * 255.0f;
              for (int64_t t = 0; t < p.temporal; ++t) {
                for (int64_t py = 0; py < p.patch; ++py) {
                  for (int64_t px = 0; px < p.patch; ++px) {
                    const int64_t col = ((c * p.temporal + t) * p.patch + py) * p.patch + px;
                    const int64_t y = (bh * p.merge + mh) * p.patch + py;
                    const int64_t x = (bw * p.merge + mw) * p.patch + px;
                    const uint8_t value = image.pixels[static_cast<size_t>((y * image.width + x) * 3 + c)];
                    ASSERT_EQ(out->pixel_values[static_cast<size_t>(row * cols + col)],
                              (static_cast<float>(value) - mean) / deviation)
                        << "row " << row << " col " << col;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

TEST(PatchifyTest, RefusesSidesOffTheGrid) {
  auto out = normalize_and_patchify(pattern_image(40, 32), PreprocessOptions{});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("multiples of 32"), std::string::npos) << out.status().message();
}

TEST(BicubicResamplerTest, SameSizeIsACopyAndConstantsStayConstant) {
  const RgbImage image = pattern_image(33, 17);
  auto same = resize_bicubic_antialias(image, 17, 33);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->pixels, image.pixels);
  RgbImage flat = image;
  std::fill(flat.pixels.begin(), flat.pixels.end(), uint8_t{173});
  for (auto [h, w] : {std::pair<int64_t, int64_t>{64, 96}, {5, 7}, {17, 200}, {1, 1}, {300, 33}}) {
    auto resized = resize_bicubic_antialias(flat, h, w);
    ASSERT_TRUE(resized.ok());
    ASSERT_EQ(resized->pixels.size(), static_cast<size_t>(h * w * 3));
    for (uint8_t v : resized->pixels) ASSERT_EQ(v, 173) << h << "x" << w;
  }
}

TEST(BicubicResamplerTest, RefusesEmptySizes) {
  EXPECT_FALSE(resize_bicubic_antialias(pattern_image(4, 4), 0, 4).ok());
  EXPECT_FALSE(resize_bicubic_antialias(RgbImage{}, 4, 4).ok());
}

TEST(PreprocessOptionsTest, ValidationNamesTheField) {
  PreprocessOptions options;
  EXPECT_TRUE(options.validate().ok());
  options.max_pixels = options.min_pixels - 1;
  EXPECT_NE(options.validate().message().find("max_pixels"), std::string::npos);
  options = PreprocessOptions{};
  options.image_std[1] = 0.0;
  EXPECT_NE(options.validate().message().find("image_std[1]"), std::string::npos);
  options = PreprocessOptions{};
  options.patch_size = 0;
  EXPECT_NE(options.validate().message().find("patch_size"), std::string::npos);
  options = PreprocessOptions{};
  options.rescale_factor = -1;
  EXPECT_NE(options.validate().message().find("rescale_factor"), std::string::npos);
}

TEST(ImagePreprocessorTest, GridAndTokensFollowSmartResize) {
  // 1280x720 (W x H) with the checkpoint defaults: the generator's table has the size transformers computes.
  int64_t expected_h = 0;
  int64_t expected_w = 0;
  for (const auto& row : smart_resize_table()) {
    if (row["height"] == 720 && row["width"] == 1280 && row["factor"] == 32 && row["min_pixels"] == 65536 &&
        row["max_pixels"] == 16777216) {
      expected_h = row["result"][0];
      expected_w = row["result"][1];
    }
  }
  ASSERT_GT(expected_h, 0);
  auto out = preprocess_image(pattern_image(1280, 720), PreprocessOptions{});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->grid_thw, (std::array<int64_t, 3>{1, expected_h / 16, expected_w / 16}));
  EXPECT_EQ(out->num_tokens, expected_h / 16 * expected_w / 16 / 4);
  EXPECT_EQ(out->shape.dims(), (std::vector<int64_t>{expected_h / 16 * expected_w / 16, 1536}));
  EXPECT_EQ(out->view().numel(), static_cast<int64_t>(out->pixel_values.size()));
}

TEST(ImagePreprocessorTest, ExtremeAspectRatioIsAClearError) {
  auto out = preprocess_image(pattern_image(402, 2), PreprocessOptions{});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("402x2"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("crop or pad"), std::string::npos);
}

}  // namespace
}  // namespace fovea::vision
