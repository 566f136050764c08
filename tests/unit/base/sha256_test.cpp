// SHA-256 against the FIPS 180-4 / NIST example vectors, and incremental updates.
#include "base/sha256.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace fovea::base
