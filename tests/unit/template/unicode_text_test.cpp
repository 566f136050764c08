// UTF-8 validation and code-point helpers the engine relies on (templates and values are always valid UTF-8).
#include "text/template/unicode_text.h"

#include <gtest/gtest.h>

namespace fovea::text::jinja {
namespace {

TEST(UnicodeText, ValidatesUtf8Strictly) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xe4\xb8"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation
}

TEST(UnicodeText, CodePointsRoundTrip) {
  std::string text = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";
  std::u32string code_points = decode_utf8(text);
  ASSERT_EQ(code_points.size(), 4u);
  EXPECT_EQ(code_points[3], U'\U0001F600');
  EXPECT_EQ(encode_utf8(code_points), text);
  EXPECT_EQ(count_code_points(text), 4u);
}

TEST(UnicodeText, WhitespaceFollowsPythonIsspace) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\x0b', U'\x0c', U'\r', U'\x1c', U'\x85', U'\xa0', U'\u2028', U'\u3000'}) {
    EXPECT_TRUE(is_python_space(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U'\u200b', U'\x00', U'_'}) EXPECT_FALSE(is_python_space(c)) << static_cast<uint32_t>(c);
}

}  // namespace
}  // namespace fovea::text::jinja
