// Character classes of the pre-tokenizer's split pattern (\p{L}, \p{N}, \s, [\r\n]) as Hugging Face tokenizers'
// regex engine (Oniguruma, Unicode 16.0) defines them: ICU's general category and White_Space, plus a generated
// supplement for letters and numbers newer than the system ICU. Must not contain any splitting logic.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fovea::text {

enum class UnicodeClass : uint8_t {
  kOther,    // none of the below (punctuation, symbols, marks, controls, unassigned)
  kLetter,   // \p{L}
  kNumber,   // \p{N}
  kSpace,    // \s other than CR and LF (White_Space)
  kNewline,  // \r or \n (also \s)
};

struct UnicodeClassRange {
  char32_t first;
  char32_t last;
  UnicodeClass unicode_class;
};

// Generated table (unicode_class_supplement.cpp), sorted by code point.
extern const UnicodeClassRange kUnicodeClassSupplement[];
extern const size_t kNumUnicodeClassSupplement;

// The class of a code point (any value; surrogates and values past U+10FFFF are kOther).
UnicodeClass unicode_class(char32_t code_point);

}  // namespace fovea::text
