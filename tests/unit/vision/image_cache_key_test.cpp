// The image cache key changes with the image bytes and with every preprocessing option.
#include "vision/image_cache_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fovea::vision {
namespace {

TEST(ImageCacheKeyTest, DependsOnBytesAndEveryOption) {
  const std::vector<uint8_t> bytes = {1, 2, 3, 4};
  const PreprocessOptions defaults;
  const std::string key = image_cache_key(bytes, defaults);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, image_cache_key(bytes, defaults));
  EXPECT_NE(key, image_cache_key(std::vector<uint8_t>{1, 2, 3, 5}, defaults));
  EXPECT_NE(key, image_cache_key(std::vector<uint8_t>{1, 2, 3}, defaults));
  std::vector<PreprocessOptions> variants(8, defaults);
  variants[0].min_pixels = 4096;
  variants[1].max_pixels = 1 << 20;
  variants[2].patch_size = 14;
  variants[3].temporal_patch_size = 1;
  variants[4].merge_size = 1;
  variants[5].image_mean[1] = 0.45;
  variants[6].image_std[2] = 0.27;
  variants[7].rescale_factor = 1.0 / 256;
  for (const auto& variant : variants) EXPECT_NE(key, image_cache_key(bytes, variant));
}

}  // namespace
}  // namespace fovea::vision
