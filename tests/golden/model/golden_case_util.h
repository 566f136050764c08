// Helpers every golden test of whole models shares (CPU and GPU, dense and quantized): reading fixture bytes, the
// relative logit error, argmax, and a case's images turned into the vision module's pixels. Must not contain a
// test's bounds or its case format beyond the "images" entries.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "vision/image_decoder.h"
#include "vision/patchifier.h"

namespace fovea::model::testing {

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// max |a - b| / max |b|.
inline double relative_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  double max_diff = 0.0;
  double max_ref = 0.0;
  for (size_t idx = 0; idx < expected.size() && idx < actual.size(); ++idx) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(actual[idx]) - expected[idx]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(expected[idx])));
  }
  return max_ref == 0.0 ? max_diff : max_diff / max_ref;
}

inline int32_t argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// The pixels of a case's images: the resized PNGs HF's processor produced (in `case_dir`), normalised and
// patchified; each grid is checked against the case's grid_thw where the case records one.
inline std::vector<vision::PreprocessedImage> case_images(const std::filesystem::path& case_dir,
                                                          const nlohmann::json& c) {
  std::vector<vision::PreprocessedImage> images;
  for (const nlohmann::json& image : c["images"]) {
    const std::filesystem::path path = case_dir / image["resized"].get<std::string>();
    auto decoded = vision::decode_image(read_bytes(path));
    EXPECT_TRUE(decoded.ok()) << path << ": " << decoded.status().to_string();
    if (!decoded.ok()) return {};
    auto patches = vision::normalize_and_patchify(*decoded, vision::PreprocessOptions{});
    EXPECT_TRUE(patches.ok()) << path << ": " << patches.status().to_string();
    if (!patches.ok()) return {};
    if (image.contains("grid_thw")) {
      const std::vector<int64_t> grid = image["grid_thw"];
      EXPECT_EQ(std::vector<int64_t>(patches->grid_thw.begin(), patches->grid_thw.end()), grid) << path;
    }
    images.push_back(std::move(patches).value());
  }
  return images;
}

}  // namespace fovea::model::testing
