// The encoder-cache key of an image: SHA-256 of the image file's bytes and every preprocessing option that changes
// pixel_values, so equal keys mean equal vision-encoder inputs. Must not contain caching.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vision/preprocess_options.h"

namespace fovea::vision {

// 64 lower-case hex characters. Pass the encoded file as received (after data: URL decoding): hashing it is far
// cheaper than hashing decoded pixels, and decoding is deterministic, so the same bytes give the same pixels.
std::string image_cache_key(std::span<const uint8_t> image_bytes, const PreprocessOptions& options);

}  // namespace fovea::vision
