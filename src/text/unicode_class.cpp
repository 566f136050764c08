// Pre-tokenizer character classes from ICU, pinned to the Unicode version of the reference (16.0): characters
// newer than that are unassigned to it, and 15.1/16.0 letters and numbers unknown to an older ICU come from the
// generated supplement. Basic Multilingual Plane lookups go through a table built once.
#include "text/unicode_class.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <memory>

namespace fovea::text {
namespace {

// Unicode version of the tables in the reference's regex engine (Oniguruma 6.9.10).
constexpr uint8_t kReferenceUnicodeMajor = 16;

bool newer_than_reference(UChar32 code_point) {
  UVersionInfo age;
  u_charAge(code_point, age);
  return age[0] > kReferenceUnicodeMajor;
}

UnicodeClass supplement_class(char32_t code_point) {
  const UnicodeClassRange* end = kUnicodeClassSupplement + kNumUnicodeClassSupplement;
  const UnicodeClassRange* it =
      std::upper_bound(kUnicodeClassSupplement, end, code_point,
                       [](char32_t value, const UnicodeClassRange& range) { return value < range.first; });
  if (it == kUnicodeClassSupplement) return UnicodeClass::kOther;
  --it;
  return code_point <= it->last ? it->unicode_class : UnicodeClass::kOther;
}

UnicodeClass compute_class(char32_t code_point, bool icu_is_newer) {
  if (code_point == '\r' || code_point == '\n') return UnicodeClass::kNewline;
  auto c = static_cast<UChar32>(code_point);
  uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_CN_MASK) return supplement_class(code_point);
  if (icu_is_newer && newer_than_reference(c)) return UnicodeClass::kOther;
  if (mask & U_GC_L_MASK) return UnicodeClass::kLetter;
  if (mask & U_GC_N_MASK) return UnicodeClass::kNumber;
  if (u_isUWhiteSpace(c)) return UnicodeClass::kSpace;
  return UnicodeClass::kOther;
}

bool icu_newer_than_reference() {
  UVersionInfo version;
  u_getUnicodeVersion(version);
  return version[0] > kReferenceUnicodeMajor;
}

struct BmpTable {
  bool icu_is_newer = icu_newer_than_reference();
  std::array<UnicodeClass, 0x10000> classes{};
  BmpTable() {
    for (char32_t code_point = 0; code_point < 0x10000; ++code_point) {
      classes[code_point] = (code_point >= 0xD800 && code_point <= 0xDFFF) ? UnicodeClass::kOther
                                                                           : compute_class(code_point, icu_is_newer);
    }
  }
};

const BmpTable& bmp_table() {
  static const std::unique_ptr<const BmpTable> table = std::make_unique<const BmpTable>();
  return *table;
}

}  // namespace

UnicodeClass unicode_class(char32_t code_point) {
  const BmpTable& table = bmp_table();
  if (code_point < 0x10000) return table.classes[code_point];
  if (code_point > 0x10FFFF) return UnicodeClass::kOther;
  return compute_class(code_point, table.icu_is_newer);
}

}  // namespace fovea::text
