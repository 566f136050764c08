// The pre-tokenizer of the Qwen2/Qwen3 tokenizers: Split on the pattern below (behavior Isolated), then
// ByteLevel without prefix space or regex. The pattern is implemented by a hand-written linear scanner over the
// classes of unicode_class.h, not by a regex engine. Must not contain BPE or added-token handling.
#pragma once

#include <string_view>
#include <vector>

namespace fovea::text {

class PreTokenizer {
 public:
  // The only split pattern fovea implements (Qwen2, Qwen2.5, Qwen3, Qwen3-VL).
  static constexpr std::string_view kQwen2Pattern =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

  // Appends the pre-tokens of `text` (valid UTF-8) to `words`, in order; they cover `text` exactly.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

  // Byte length of the pattern's match at `pos` (< text.size()); every position has a non-empty match.
  static size_t match_bytes(std::string_view text, size_t pos);
};

}  // namespace fovea::text
