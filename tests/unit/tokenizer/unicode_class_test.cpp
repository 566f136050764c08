// Character classes of the split pattern: ICU categories pinned to the reference's Unicode version. The golden
// tests check every class against Hugging Face; these check the supplement table and the boundaries.
#include "text/unicode_class.h"

#include <gtest/gtest.h>

namespace fovea::text {
namespace {

TEST(UnicodeClassTest, SupplementIsSortedAndDisjoint) {
  ASSERT_GT(kNumUnicodeClassSupplement, 0u);
  for (size_t idx = 0; idx < kNumUnicodeClassSupplement; ++idx) {
    const UnicodeClassRange& range = kUnicodeClassSupplement[idx];
    EXPECT_LE(range.first, range.last);
    if (idx > 0) {
      EXPECT_GT(range.first, kUnicodeClassSupplement[idx - 1].last);
    }
    EXPECT_TRUE(range.unicode_class == UnicodeClass::kLetter || range.unicode_class == UnicodeClass::kNumber);
    // Every supplemented character gets its class, whatever the system ICU knows.
    EXPECT_EQ(unicode_class(range.first), range.unicode_class);
    EXPECT_EQ(unicode_class(range.last), range.unicode_class);
  }
}

TEST(UnicodeClassTest, WhitespaceIsWhiteSpaceAndNewlinesAreSeparate) {
  EXPECT_EQ(unicode_class('\n'), UnicodeClass::kNewline);
  EXPECT_EQ(unicode_class('\r'), UnicodeClass::kNewline);
  for (char32_t space : {U'\t', U'\v', U'\f', U' ', U'\u0085', U'\u00A0', U'\u2028', U'\u3000'}) {
    EXPECT_EQ(unicode_class(space), UnicodeClass::kSpace) << static_cast<uint32_t>(space);
  }
  // Not White_Space, though often thought of as spaces.
  EXPECT_EQ(unicode_class(U'\u200B'), UnicodeClass::kOther);
  EXPECT_EQ(unicode_class(U'\uFEFF'), UnicodeClass::kOther);
}

TEST(UnicodeClassTest, OutOfRangeValuesAreOther) {
  EXPECT_EQ(unicode_class(0xD800), UnicodeClass::kOther);
  EXPECT_EQ(unicode_class(0x110000), UnicodeClass::kOther);
  EXPECT_EQ(unicode_class(0xFFFFFFFF), UnicodeClass::kOther);
}

}  // namespace
}  // namespace fovea::text
