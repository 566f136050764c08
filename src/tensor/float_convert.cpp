// Half-precision and fp8 conversions (the 16/8-bit formats lack hardware conversion on every CPU we target).
#include "tensor/float_convert.h"

#include <cmath>
#include <limits>

namespace fovea::tensor {

float f16_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t float_to_f16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (abs_bits >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to infinity
  if (abs_bits < 0x38800000u) {
    // Subnormal half (or zero): scale so the integer part is the half mantissa; nearbyint rounds half to even.
    float magnitude = std::bit_cast<float>(abs_bits);
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(magnitude * 16777216.0f)));
  }
  uint32_t rounding = 0xfffu + ((abs_bits >> 13) & 1u);
  uint32_t rounded = abs_bits + rounding;
  return static_cast<uint16_t>(sign | (((rounded >> 13) - (112u << 10)) & 0x7fffu));
}

float f8e4m3_to_float(uint8_t bits) {
  float sign = (bits & 0x80u) ? -1.0f : 1.0f;
  int exponent = (bits >> 3) & 0xf;
  int mantissa = bits & 0x7;
  if (exponent == 0xf && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa) / 8.0f, -6);
  return sign * std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
}

uint8_t float_to_f8e4m3(float value) {
  if (std::isnan(value)) return 0x7f;
  uint8_t sign = std::signbit(value) ? 0x80 : 0x00;
  float magnitude = std::fabs(value);
  if (magnitude >= 448.0f) return static_cast<uint8_t>(sign | 0x7e);  // saturate to max finite
  // Search the 127 non-negative finite codes for the nearest, ties to the even code (as PyTorch rounds).
  uint8_t best = 0;
  float best_error = std::numeric_limits<float>::infinity();
  for (uint8_t code = 0; code < 0x7f; ++code) {
    float error = std::fabs(f8e4m3_to_float(code) - magnitude);
    if (error < best_error || (error == best_error && (code & 1u) == 0)) {
      best = code;
      best_error = error;
    }
  }
  return static_cast<uint8_t>(sign | best);
}

float f8e5m2_to_float(uint8_t bits) { return f16_to_float(static_cast<uint16_t>(bits) << 8); }

}  // namespace fovea::tensor
