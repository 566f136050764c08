// Base64 and data: URLs for the bench's images. Must not contain image encoding or file reading.
#include "bench/data_url_encoder.h"

namespace fovea::bench {

std::string encode_base64(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t idx = 0;
  for (; idx + 3 <= bytes.size(); idx += 3) {
    const uint32_t group = (uint32_t{bytes[idx]} << 16) | (uint32_t{bytes[idx + 1]} << 8) | bytes[idx + 2];
    out.push_back(kAlphabet[(group >> 18) & 63]);
    out.push_back(kAlphabet[(group >> 12) & 63]);
    out.push_back(kAlphabet[(group >> 6) & 63]);
    out.push_back(kAlphabet[group & 63]);
  }
  const size_t num_left = bytes.size() - idx;
  if (num_left > 0) {
    uint32_t group = uint32_t{bytes[idx]} << 16;
    if (num_left == 2) group |= uint32_t{bytes[idx + 1]} << 8;
    out.push_back(kAlphabet[(group >> 18) & 63]);
    out.push_back(kAlphabet[(group >> 12) & 63]);
    out.push_back(num_left == 2 ? kAlphabet[(group >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string to_data_url(std::span<const uint8_t> bytes, std::string_view mime_type) {
  std::string out = "data:";
  out += mime_type;
  out += ";base64,";
  out += encode_base64(bytes);
  return out;
}

}  // namespace fovea::bench
