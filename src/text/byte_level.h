// The byte-level alphabet of GPT-2 style BPE (bytes_to_unicode): every byte maps to one printable code point,
// so vocabulary entries are strings of those code points. Used to build the byte tables of the BPE model and
// to turn vocabulary entries back into bytes for decoding. Must not contain BPE merging or pre-tokenization.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fovea::text {

class ByteLevel {
 public:
  // The code point that stands for `byte` in vocabulary strings.
  static char32_t byte_to_char(uint8_t byte) { return table().byte_to_char[byte]; }

  // The byte a code point stands for, or nullopt when it is not part of the alphabet.
  static std::optional<uint8_t> char_to_byte(char32_t code_point);

  // The vocabulary spelling (UTF-8) of one raw byte.
  static std::string byte_to_token(uint8_t byte);

  // Hugging Face's ByteLevel decoder on one token: when every code point is in the alphabet, the bytes they stand
  // for; otherwise the token's own UTF-8 bytes (how added tokens such as "<|im_end|>" decode).
  static std::string token_to_bytes(std::string_view token_utf8);

 private:
  struct Tables {
    std::array<char32_t, 256> byte_to_char;
    std::array<int16_t, 324> char_to_byte;  // indexed by code point; -1 where not in the alphabet
  };
  static const Tables& table();
};

}  // namespace fovea::text
