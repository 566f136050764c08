// RgbImage: a decoded picture as 8-bit RGB, the common currency between the decoders and the preprocessor.
// Must not contain decoding or resampling code.
#pragma once

#include <cstdint>
#include <vector>

namespace fovea::vision {

struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3] u8, rows top to bottom, channels R, G, B

  int64_t num_pixels() const { return width * height; }
};

}  // namespace fovea::vision
