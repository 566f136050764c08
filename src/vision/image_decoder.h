// Decoding of untrusted image bytes to 8-bit RGB, matching what transformers feeds its processor for a PIL image
// (PIL.Image.open + convert_to_rgb): alpha composited over white, palettes and grayscale expanded, first frame only,
// EXIF orientation ignored. Must not contain resizing or model preprocessing.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "vision/decode_limits.h"
#include "vision/rgb_image.h"

namespace fovea::vision {

// Detects the format from magic bytes and decodes. Oversized files and pictures are refused before any pixel
// buffer is allocated; corrupt or truncated data is an error, never a crash.
base::Result<RgbImage> decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

// The individual decoders (the bytes must be of that format; decode_image picks the right one).
base::Result<RgbImage> decode_jpeg(std::span<const uint8_t> bytes, const DecodeLimits& limits);
base::Result<RgbImage> decode_png(std::span<const uint8_t> bytes, const DecodeLimits& limits);
base::Result<RgbImage> decode_webp(std::span<const uint8_t> bytes, const DecodeLimits& limits);
base::Result<RgbImage> decode_gif(std::span<const uint8_t> bytes, const DecodeLimits& limits);

}  // namespace fovea::vision
