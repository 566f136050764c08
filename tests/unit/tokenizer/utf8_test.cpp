// UTF-8 validation and lossy decoding. The lossy cases are the examples of the Unicode Standard (chapter 3,
// "U+FFFD Substitution of Maximal Subparts"), which Rust's from_utf8_lossy and so Hugging Face follow.
#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace fovea::text {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string lossy(const std::string& bytes) {
  std::string out;
  append_utf8_lossy(out, bytes);
  return out;
}

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(find_invalid_utf8(""), kNoInvalidByte);
  EXPECT_EQ(find_invalid_utf8("plain ascii text, long enough for the fast path"), kNoInvalidByte);
  EXPECT_EQ(find_invalid_utf8("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"), kNoInvalidByte);
  EXPECT_EQ(find_invalid_utf8("abcdefghij\x80"), 10u);
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);          // overlong
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);      // surrogate
  EXPECT_EQ(find_invalid_utf8("ab\xF4\x90\x80\x80"), 2u);  // past U+10FFFF
  EXPECT_EQ(find_invalid_utf8("ab\xE4\xB8"), 2u);          // truncated
}

TEST(Utf8Test, AppendEncodesEveryLength) {
  std::string out;
  for (char32_t code_point : {U'a', U'\u00E9', U'\u4E2D', U'\U0001F600', U'\U0010FFFF'}) append_utf8(out, code_point);
  EXPECT_EQ(out, "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  size_t pos = 0;
  for (char32_t expected : {U'a', U'\u00E9', U'\u4E2D', U'\U0001F600', U'\U0010FFFF'}) {
    size_t num_bytes = 0;
    EXPECT_EQ(decode_utf8_at(out, pos, &num_bytes), expected);
    pos += num_bytes;
  }
  EXPECT_EQ(pos, out.size());
}

TEST(Utf8Test, LossyReplacesMaximalSubparts) {
  // Unicode Standard, Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(lossy("a\xF1\x80\x80\xE1\x80\xC2"
                  "b\x80"
                  "c\x80\xBF"
                  "d"),
            "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  // Tables 3-9 to 3-11: ill-formed leads and out-of-range second bytes are replaced byte by byte.
  EXPECT_EQ(lossy("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41"),
            kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + "A");
  EXPECT_EQ(lossy("\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41"),
            kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + "A");
  EXPECT_EQ(lossy("\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42"),
            kFffd + kFffd + kFffd + kFffd + kFffd + "A" + kFffd + kFffd + "B");
  EXPECT_EQ(lossy("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41"), kFffd + kFffd + kFffd + kFffd + "A");
  // A truncated sequence at the end is one replacement.
  EXPECT_EQ(lossy("ok\xF0\x9F\x98"), "ok" + kFffd);
  EXPECT_EQ(lossy("valid \xC3\xA9"), "valid \xC3\xA9");
}

TEST(Utf8Test, StablePrefixHoldsBackOnlyAnIncompleteTail) {
  EXPECT_EQ(utf8_stable_prefix_bytes(""), 0u);
  EXPECT_EQ(utf8_stable_prefix_bytes("abc"), 3u);
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\xF0\x9F\x98"), 2u);      // waits for the emoji's last byte
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\xF0\x9F\x98\x80"), 6u);  // complete
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\xE4"), 2u);
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\x80"), 3u);      // can never become valid: final
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\xF0\x41"), 4u);  // broken already: final
  EXPECT_EQ(utf8_stable_prefix_bytes("ab\xE0\x80"), 4u);  // E0 80 is never valid: final
}

}  // namespace
}  // namespace fovea::text
