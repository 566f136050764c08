// SHA-256 against the FIPS 180-4 / NIST example vectors, incremental updates, and the image cache key.
#include "base/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "vision/image_cache_key.h"

namespace fovea::base {
namespace {

std::string hex_of(std::string_view text) {
  Sha256 hasher;
  hasher.update(text);
  return Sha256::to_hex(hasher.finish());
}

TEST(Sha256Test, NistVectors) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnop"
             "qrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(hex_of(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesMatchOneShot) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += static_cast<char>(i * 31 + 7);
  const std::string expected = hex_of(text);
  for (size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
    Sha256 hasher;
    for (size_t offset = 0; offset < text.size(); offset += piece) {
      hasher.update(std::string_view(text).substr(offset, piece));
    }
    EXPECT_EQ(Sha256::to_hex(hasher.finish()), expected) << piece;
  }
}

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
}  // namespace fovea::base
