// Synthetic images for the random-mm dataset: a seeded picture (gradient, rectangles, light noise, so every image
// differs and none hits the server's image cache by accident) encoded in-process as JPEG or PNG.
// Must not contain dataset or request logic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::bench {

enum class ImageEncoding { kJpeg, kPng };

struct ImageSize {
  int32_t width = 0;
  int32_t height = 0;
};

// "512x512" -> {512, 512}; each side 1..16384.
base::Result<ImageSize> parse_image_size(std::string_view text);
// "jpeg"/"jpg" or "png".
base::Result<ImageEncoding> parse_image_encoding(std::string_view text);

// [height, width, 3] uint8 RGB, deterministic in `seed`.
std::vector<uint8_t> synthetic_rgb(ImageSize size, uint64_t seed);

// The encoded file's bytes.
base::Result<std::vector<uint8_t>> encode_synthetic_image(ImageSize size, uint64_t seed, ImageEncoding encoding);

// The same as a data: URL ready for an image_url part.
base::Result<std::string> synthetic_image_data_url(ImageSize size, uint64_t seed, ImageEncoding encoding);

}  // namespace fovea::bench
