// UTF-8 helpers for the tokenizer: strict decoding of valid text, validation, and the lossy decoding that
// Hugging Face decode uses (Rust's String::from_utf8_lossy: one U+FFFD per maximal invalid subpart).
// Must not contain any tokenizer logic or Unicode property tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fovea::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;
inline constexpr size_t kNoInvalidByte = static_cast<size_t>(-1);

// Decodes the code point starting at text[pos] of text known to be valid UTF-8; sets *num_bytes.
inline char32_t decode_utf8_at(std::string_view text, size_t pos, size_t* num_bytes) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  uint8_t lead = bytes[0];
  if (lead < 0x80) {
    *num_bytes = 1;
    return lead;
  }
  if (lead < 0xE0) {
    *num_bytes = 2;
    return (char32_t{lead & 0x1Fu} << 6) | (bytes[1] & 0x3Fu);
  }
  if (lead < 0xF0) {
    *num_bytes = 3;
    return (char32_t{lead & 0x0Fu} << 12) | (char32_t{bytes[1] & 0x3Fu} << 6) | (bytes[2] & 0x3Fu);
  }
  *num_bytes = 4;
  return (char32_t{lead & 0x07u} << 18) | (char32_t{bytes[1] & 0x3Fu} << 12) | (char32_t{bytes[2] & 0x3Fu} << 6) |
         (bytes[3] & 0x3Fu);
}

// Number of bytes of the UTF-8 sequence that starts with `lead` (valid text only).
inline size_t utf8_sequence_bytes(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Offset of the first byte that is not part of well-formed UTF-8, or kNoInvalidByte.
size_t find_invalid_utf8(std::string_view bytes);

void append_utf8(std::string& out, char32_t code_point);

// Appends `bytes` decoded as Rust's from_utf8_lossy does: each maximal subpart of an ill-formed sequence becomes
// one U+FFFD, and so does an incomplete sequence at the end.
void append_utf8_lossy(std::string& out, std::string_view bytes);

// Length of the longest prefix of `bytes` whose lossy decoding can no longer change when more bytes are appended:
// everything except a trailing sequence that is incomplete but still valid so far.
size_t utf8_stable_prefix_bytes(std::string_view bytes);

}  // namespace fovea::text
