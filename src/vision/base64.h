// Strict base64 decoding (RFC 4648 standard alphabet, padded) for data: URLs.
// Must not contain URL parsing.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::vision {

// Accepts exactly what Python's base64.b64decode(..., validate=True) accepts: only A-Z a-z 0-9 + /, a length that
// is a multiple of 4, and at most two '=' at the very end. Whitespace, line breaks, URL-safe '-'/'_' and
// percent-escapes are errors that name the offset. Refuses output above max_decoded_bytes before decoding.
base::Result<std::vector<uint8_t>> decode_base64_strict(std::string_view text, uint64_t max_decoded_bytes);

}  // namespace fovea::vision
