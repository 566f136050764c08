// Strict base64 decoder: a 256-entry table, validation and decoding in one pass.
// Must not contain URL parsing.
#include "vision/base64.h"

#include <array>
#include <string>

namespace fovea::vision {
namespace {

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return table;
}

constexpr std::array<uint8_t, 256> kDecodeTable = make_decode_table();

std::string describe(char c) {
  if (c == '\n') return "a line break";
  if (c == '\r') return "a carriage return";
  if (c == ' ' || c == '\t') return "whitespace";
  const auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte >= 0x7f) return fmt::format("the byte 0x{:02x}", byte);
  return fmt::format("'{}'", c);
}

}  // namespace

base::Result<std::vector<uint8_t>> decode_base64_strict(std::string_view text, uint64_t max_decoded_bytes) {
  // Up to two '=' end the data; everything before them must be in the alphabet.
  size_t num_padding = 0;
  while (num_padding < 2 && num_padding < text.size() && text[text.size() - 1 - num_padding] == '=') ++num_padding;
  const size_t num_symbols = text.size() - num_padding;
  for (size_t i = 0; i < num_symbols; ++i) {
    if (kDecodeTable[static_cast<uint8_t>(text[i])] == kInvalid) {
      return base::invalid_argument(
          "the base64 data has {} at offset {}; send standard base64 (A-Z, a-z, 0-9, '+', '/', '=' padding) "
          "without line breaks or URL escapes",
          describe(text[i]), i);
    }
  }
  if (text.size() % 4 != 0) {
    return base::invalid_argument(
        "the base64 data has {} characters, not a multiple of 4; it is truncated or lacks '=' padding", text.size());
  }
  const uint64_t num_decoded = text.size() / 4 * 3 - num_padding;
  if (num_decoded > max_decoded_bytes) {
    return base::out_of_range(
        "the base64 data decodes to {} bytes, more than the limit of {} bytes; send a "
        "smaller image",
        num_decoded, max_decoded_bytes);
  }
  std::vector<uint8_t> out;
  out.reserve(num_decoded);
  uint32_t bits = 0;
  int num_bits = 0;
  for (size_t i = 0; i < num_symbols; ++i) {
    bits = (bits << 6) | kDecodeTable[static_cast<uint8_t>(text[i])];
    num_bits += 6;
    if (num_bits >= 8) {
      num_bits -= 8;
      out.push_back(static_cast<uint8_t>(bits >> num_bits));
      bits &= (1u << num_bits) - 1;
    }
  }
  return out;
}

}  // namespace fovea::vision
