// The byte-level alphabet is a bijection between bytes and 256 printable code points, and the ByteLevel decoder
// rule maps spellings back to bytes (falling back to the token's own UTF-8).
#include "text/byte_level.h"

#include <gtest/gtest.h>

#include <set>

namespace fovea::text {
namespace {

TEST(ByteLevelTest, AlphabetIsABijection) {
  std::set<char32_t> code_points;
  for (int byte = 0; byte < 256; ++byte) {
    char32_t code_point = ByteLevel::byte_to_char(static_cast<uint8_t>(byte));
    code_points.insert(code_point);
    EXPECT_EQ(ByteLevel::char_to_byte(code_point), byte);
    bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    if (printable) {
      EXPECT_EQ(code_point, static_cast<char32_t>(byte));
    }
  }
  EXPECT_EQ(code_points.size(), 256u);
  EXPECT_FALSE(ByteLevel::char_to_byte(U'\u4E2D').has_value());
}

TEST(ByteLevelTest, TokenBytesRoundTrip) {
  std::string all_bytes;
  std::string spelling;
  for (int byte = 0; byte < 256; ++byte) {
    all_bytes.push_back(static_cast<char>(byte));
    spelling += ByteLevel::byte_to_token(static_cast<uint8_t>(byte));
  }
  EXPECT_EQ(ByteLevel::token_to_bytes(spelling), all_bytes);
  // A token with a code point outside the alphabet decodes to its own UTF-8, like "<|im_end|>" would.
  EXPECT_EQ(ByteLevel::token_to_bytes("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
}

}  // namespace
}  // namespace fovea::text
