// Scalar conversions between float and the 16- and 8-bit float formats of checkpoints (bf16, f16, fp8).
// Bit-exact with PyTorch: round to nearest even, NaN preserved. Must not contain vectorised kernels.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace fovea::tensor {

inline float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

inline uint16_t float_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

// Rounds a float to the nearest bf16 value and back (what a cast to bf16 and back does in PyTorch).
inline float round_to_bf16(float value) { return bf16_to_float(float_to_bf16(value)); }

float f16_to_float(uint16_t bits);
uint16_t float_to_f16(float value);
inline float round_to_f16(float value) { return f16_to_float(float_to_f16(value)); }

// float8_e4m3fn: bias 7, no infinities, 0x7f/0xff NaN, max finite 448; saturating conversion from float.
float f8e4m3_to_float(uint8_t bits);
uint8_t float_to_f8e4m3(float value);

// float8_e5m2: an IEEE-like 8-bit format (bias 15, with infinities).
float f8e5m2_to_float(uint8_t bits);

}  // namespace fovea::tensor
