// Linear scanner for the Qwen2 split pattern. Oniguruma tries the alternatives left to right at each position;
// the cases below reproduce, for each kind of first character, the alternative that wins and how far its
// greedy/backtracking match reaches:
//   1 (?i:'s|'t|'re|'ve|'m|'ll|'d)   case-insensitive contractions; U+017F (long s) folds to s
//   2 [^\r\n\p{L}\p{N}]?\p{L}+       letters, with at most one non-letter, non-number, non-newline in front
//   3 \p{N}                          one number character
//   4 ' ?[^\s\p{L}\p{N}]+[\r\n]*'    a run of "other" characters, optionally after one space, then newlines
//   5 \s*[\r\n]+                     whitespace up to and including the last newline of the whitespace run
//   6 \s+(?!\S)                      whitespace run at the end, or all of it but its last character
//   7 \s+                            a single whitespace character before a non-space
#include "text/pre_tokenizer.h"

#include <array>

#include "text/unicode_class.h"
#include "text/utf8.h"

namespace fovea::text {
namespace {

struct CharAt {
  UnicodeClass unicode_class;
  char32_t code_point;
  size_t num_bytes;
};

const std::array<UnicodeClass, 128>& ascii_classes() {
  static const std::array<UnicodeClass, 128> table = [] {
    std::array<UnicodeClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) t[c] = unicode_class(c);
    return t;
  }();
  return table;
}

CharAt char_at(std::string_view text, size_t pos) {
  auto lead = static_cast<uint8_t>(text[pos]);
  if (lead < 0x80) return {ascii_classes()[lead], lead, 1};
  size_t num_bytes = 0;
  char32_t code_point = decode_utf8_at(text, pos, &num_bytes);
  return {unicode_class(code_point), code_point, num_bytes};
}

// End of the run of characters of class `wanted` that starts at `pos`.
size_t run_end(std::string_view text, size_t pos, UnicodeClass wanted) {
  const auto& ascii = ascii_classes();
  while (pos < text.size()) {
    auto lead = static_cast<uint8_t>(text[pos]);
    if (lead < 0x80) {
      if (ascii[lead] != wanted) break;
      ++pos;
      continue;
    }
    CharAt c = char_at(text, pos);
    if (c.unicode_class != wanted) break;
    pos += c.num_bytes;
  }
  return pos;
}

char ascii_lower(char32_t code_point) {
  if (code_point >= 'A' && code_point <= 'Z') return static_cast<char>(code_point - 'A' + 'a');
  if (code_point < 0x80) return static_cast<char>(code_point);
  if (code_point == 0x017F) return 's';  // LATIN SMALL LETTER LONG S case-folds to s
  return '\0';
}

// Length of alternative 1 at `pos` (text[pos] is an apostrophe), or 0.
size_t contraction_bytes(std::string_view text, size_t pos) {
  size_t next = pos + 1;
  if (next >= text.size()) return 0;
  CharAt first = char_at(text, next);
  char lower = ascii_lower(first.code_point);
  if (lower == 's' || lower == 't' || lower == 'm' || lower == 'd') return 1 + first.num_bytes;
  char wanted_second = lower == 'r' || lower == 'v' ? 'e' : lower == 'l' ? 'l' : '\0';
  if (wanted_second == '\0') return 0;
  size_t second_pos = next + first.num_bytes;
  if (second_pos >= text.size()) return 0;
  CharAt second = char_at(text, second_pos);
  // Only ASCII letters fold to e or l.
  if (second.code_point >= 0x80 || ascii_lower(second.code_point) != wanted_second) return 0;
  return 2 + second.num_bytes;
}

// Alternatives 5, 6 and 7 at `pos`, which starts a whitespace run.
size_t whitespace_bytes(std::string_view text, size_t pos) {
  size_t end = pos;
  size_t last_char_start = pos;
  size_t after_last_newline = 0;
  size_t num_chars = 0;
  while (end < text.size()) {
    CharAt c = char_at(text, end);
    if (c.unicode_class != UnicodeClass::kSpace && c.unicode_class != UnicodeClass::kNewline) break;
    last_char_start = end;
    end += c.num_bytes;
    ++num_chars;
    if (c.unicode_class == UnicodeClass::kNewline) after_last_newline = end;
  }
  if (after_last_newline != 0) return after_last_newline - pos;
  if (end == text.size() || num_chars == 1) return end - pos;
  return last_char_start - pos;
}

}  // namespace

size_t PreTokenizer::match_bytes(std::string_view text, size_t pos) {
  CharAt first = char_at(text, pos);
  if (first.code_point == '\'') {
    size_t contraction = contraction_bytes(text, pos);
    if (contraction != 0) return contraction;
  }
  size_t next = pos + first.num_bytes;
  switch (first.unicode_class) {
    case UnicodeClass::kLetter:
      return run_end(text, next, UnicodeClass::kLetter) - pos;
    case UnicodeClass::kNumber:
      return first.num_bytes;
    case UnicodeClass::kOther:
    case UnicodeClass::kSpace: {
      UnicodeClass next_class = next < text.size() ? char_at(text, next).unicode_class : UnicodeClass::kNewline;
      if (next_class == UnicodeClass::kLetter) return run_end(text, next, UnicodeClass::kLetter) - pos;
      size_t other_start = pos;
      if (first.unicode_class == UnicodeClass::kSpace) {
        if (first.code_point != ' ' || next_class != UnicodeClass::kOther) return whitespace_bytes(text, pos);
        other_start = next;
      }
      size_t other_end = run_end(text, other_start, UnicodeClass::kOther);
      return run_end(text, other_end, UnicodeClass::kNewline) - pos;
    }
    case UnicodeClass::kNewline:
      return whitespace_bytes(text, pos);
  }
  return first.num_bytes;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t num_bytes = match_bytes(text, pos);
    words.push_back(text.substr(pos, num_bytes));
    pos += num_bytes;
  }
}

}  // namespace fovea::text
