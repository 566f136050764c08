// The tokenizer's normalizer: none, or NFC exactly as Hugging Face tokenizers applies it. Its NFC data dates
// from Unicode 9.0 (the unicode-normalization-alignments crate), so fovea runs ICU's NFC filtered to characters
// assigned by Unicode 9.0; newer characters pass through untouched, as they do in the reference.
// Must not contain pre-tokenization or JSON parsing.
#pragma once

#include <unicode/uversion.h>

#include <string>
#include <string_view>

#include "base/status.h"

U_NAMESPACE_BEGIN
class Normalizer2;
U_NAMESPACE_END

namespace fovea::text {

class Normalizer {
 public:
  enum class Kind { kNone, kNfc };

  // Builds a normalizer; kNfc fails only when ICU's normalization data cannot be loaded.
  static base::Result<Normalizer> create(Kind kind);

  Kind kind() const { return kind_; }

  // Appends the normalized form of `text` (valid UTF-8, under 2 GiB) to `out`.
  void normalize(std::string_view text, std::string& out) const;

 private:
  Kind kind_ = Kind::kNone;
  const icu::Normalizer2* nfc_ = nullptr;  // process-wide ICU object, never freed; null for kNone
};

}  // namespace fovea::text
