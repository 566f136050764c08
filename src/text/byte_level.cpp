// GPT-2's bytes_to_unicode table and the ByteLevel decoder rule of Hugging Face tokenizers.
// Must not contain BPE or pre-tokenization.
#include "text/byte_level.h"

#include "text/utf8.h"

namespace fovea::text {

const ByteLevel::Tables& ByteLevel::table() {
  static const Tables tables = [] {
    Tables t{};
    t.char_to_byte.fill(-1);
    // Printable bytes keep their own code point; the others take 256, 257, ... in byte order.
    char32_t next_extra = 256;
    for (int byte = 0; byte < 256; ++byte) {
      bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
      char32_t code_point = printable ? static_cast<char32_t>(byte) : next_extra++;
      t.byte_to_char[byte] = code_point;
      t.char_to_byte[code_point] = static_cast<int16_t>(byte);
    }
    return t;
  }();
  return tables;
}

std::optional<uint8_t> ByteLevel::char_to_byte(char32_t code_point) {
  const Tables& t = table();
  if (code_point >= t.char_to_byte.size() || t.char_to_byte[code_point] < 0) return std::nullopt;
  return static_cast<uint8_t>(t.char_to_byte[code_point]);
}

std::string ByteLevel::byte_to_token(uint8_t byte) {
  std::string out;
  append_utf8(out, byte_to_char(byte));
  return out;
}

std::string ByteLevel::token_to_bytes(std::string_view token_utf8) {
  std::string bytes;
  bytes.reserve(token_utf8.size());
  size_t pos = 0;
  while (pos < token_utf8.size()) {
    size_t num_bytes = 0;
    std::optional<uint8_t> byte = char_to_byte(decode_utf8_at(token_utf8, pos, &num_bytes));
    if (!byte) return std::string(token_utf8);
    bytes.push_back(static_cast<char>(*byte));
    pos += num_bytes;
  }
  return bytes;
}

}  // namespace fovea::text
