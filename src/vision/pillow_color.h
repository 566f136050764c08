// Pixel conversions exactly as Pillow computes them: transformers hands PIL's convert_to_rgb output (alpha
// composited over white, CMYK converted, palettes looked up) to the processor, so fovea must round the same way.
// Must not contain decoding or whole-image loops.
#pragma once

#include <cstdint>

namespace fovea::vision {

// Pillow's alpha_composite of (value, alpha) over an opaque white background, one channel (checked against PIL
// for all 65536 inputs by the png_rgba_alpha_sweep_256 golden). alpha 0 gives white, alpha 255 gives value.
inline uint8_t composite_over_white(uint8_t value, uint8_t alpha) {
  if (alpha == 0) return 255;
  // Pillow's fixed point: 7 fractional bits, a division by 255 done as two shifts, rounded.
  uint32_t blended = 128u * (uint32_t{value} * alpha + 255u * (255u - alpha)) + (0x80u << 7);
  return static_cast<uint8_t>((((blended >> 8) + blended) >> 8) >> 7);
}

// Pillow's "a * b / 255" rounded to nearest (MULDIV255).
inline uint32_t muldiv255(uint32_t a, uint32_t b) {
  uint32_t product = a * b + 128u;
  return ((product >> 8) + product) >> 8;
}

// Pillow's CMYK -> RGB for one channel: ink c under black k (both in Pillow's "CMYK" convention, 255 = full ink).
inline uint8_t cmyk_channel_to_rgb(uint8_t ink, uint8_t black) {
  uint32_t not_black = 255u - black;
  uint32_t value = not_black - muldiv255(ink, not_black);
  return static_cast<uint8_t>(value);
}

}  // namespace fovea::vision
