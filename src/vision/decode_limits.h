// DecodeLimits: what an untrusted image may cost before fovea allocates for it (decompression-bomb guard).
// Must not contain decoding.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "vision/image_format.h"

namespace fovea::vision {

struct DecodeLimits {
  // Encoded bytes accepted at all (the file as sent).
  uint64_t max_encoded_bytes = uint64_t{64} << 20;
  // Pixels of the decoded canvas (width * height), read from the header before any pixel buffer exists.
  // 64 Mi pixels is a 8192 x 8192 picture; the decoded RGB then needs 192 MiB.
  uint64_t max_pixels = uint64_t{64} << 20;
};

// Checks the encoded size; the error says the limit and what to do.
base::Status check_encoded_size(ImageFormat format, uint64_t num_bytes, const DecodeLimits& limits);

// Checks header dimensions: both positive, and width * height within limits.max_pixels.
base::Status check_dimensions(ImageFormat format, int64_t width, int64_t height, const DecodeLimits& limits);

}  // namespace fovea::vision
