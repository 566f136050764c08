// Bytes -> "data:<mime>;base64,<...>" for the images the bench sends (synthetic ones and local files of a jsonl
// dataset). Must not contain image encoding or file reading.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fovea::bench {

// Standard alphabet, padded (RFC 4648), the form vision::decode_base64_strict accepts.
std::string encode_base64(std::span<const uint8_t> bytes);

std::string to_data_url(std::span<const uint8_t> bytes, std::string_view mime_type);

}  // namespace fovea::bench
