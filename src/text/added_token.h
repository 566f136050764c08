// An added token of tokenizer.json ("added_tokens"): text matched before normalization and pre-tokenization and
// mapped to one id, with Hugging Face's flags. Must not contain matching logic.
#pragma once

#include <cstdint>
#include <string>

namespace fovea::text {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false;  // match only when not preceded or followed by a word character (\w)
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // the match swallows whitespace on its right
  bool normalized = true;    // match against the normalized text instead of the raw text
  bool special = false;      // skipped by decode with skip_special_tokens
};

}  // namespace fovea::text
