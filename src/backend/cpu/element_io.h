// Element loads and stores of the CPU kernels: any float dtype a tensor may hold, to and from float, one element
// or a run of them. Rounding is round-to-nearest-even, bit-exact with PyTorch casts, except that f8e4m3 saturates
// at ±448 as vLLM's FP8 quantisation does (a plain PyTorch cast gives NaN from 480 up).
// Must not contain op code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tensor/dtype.h"
#include "tensor/float_convert.h"

namespace fovea::backend::cpu {

// float8_e4m3fn decoded through a 256-entry table (hot in attention over an FP8 cache).
float f8e4m3_table_lookup(uint8_t bits);

// float -> float8_e4m3fn by bit arithmetic, the same codes as tensor::float_to_f8e4m3 (round to nearest even,
// saturating at ±448, NaN -> 0x7f) without its search; the KV-cache write runs it per element.
inline uint8_t encode_f8e4m3(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return 0x7f;
  if (abs_bits >= 0x43e00000u) return static_cast<uint8_t>(sign | 0x7e);  // >= 448
  if (abs_bits < 0x3c800000u) {                                           // below 2^-6: subnormal codes
    float magnitude = 0;
    std::memcpy(&magnitude, &abs_bits, sizeof(magnitude));
    return static_cast<uint8_t>(sign | static_cast<uint8_t>(__builtin_nearbyintf(magnitude * 512.0f)));
  }
  const uint32_t rounded = abs_bits + 0x7ffffu + ((abs_bits >> 20) & 1u);
  const uint32_t exponent = (rounded >> 23) - 120u;  // rebias 127 -> 7
  return static_cast<uint8_t>(sign | (exponent << 3) | ((rounded >> 20) & 7u));
}

inline float load_float(const std::byte* p, tensor::DType dtype) {
  uint16_t half = 0;
  switch (dtype) {
    case tensor::DType::kF32: {
      float value = 0;
      std::memcpy(&value, p, sizeof(value));
      return value;
    }
    case tensor::DType::kBF16:
      std::memcpy(&half, p, sizeof(half));
      return tensor::bf16_to_float(half);
    case tensor::DType::kF16:
      std::memcpy(&half, p, sizeof(half));
      return tensor::f16_to_float(half);
    case tensor::DType::kF8E4M3:
      return f8e4m3_table_lookup(static_cast<uint8_t>(*p));
    default:
      return 0.0f;  // op_checks admits only the dtypes above
  }
}

inline void store_float(std::byte* p, tensor::DType dtype, float value) {
  uint16_t half = 0;
  switch (dtype) {
    case tensor::DType::kF32:
      std::memcpy(p, &value, sizeof(value));
      return;
    case tensor::DType::kBF16:
      half = tensor::float_to_bf16(value);
      std::memcpy(p, &half, sizeof(half));
      return;
    case tensor::DType::kF16:
      half = tensor::float_to_f16(value);
      std::memcpy(p, &half, sizeof(half));
      return;
    case tensor::DType::kF8E4M3:
      *p = static_cast<std::byte>(encode_f8e4m3(value));
      return;
    default:
      return;
  }
}

// What storing `value` as `dtype` and loading it back gives (the rounding of a cast in PyTorch).
inline float round_to(tensor::DType dtype, float value) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return tensor::round_to_bf16(value);
    case tensor::DType::kF16:
      return tensor::round_to_f16(value);
    case tensor::DType::kF8E4M3:
      return f8e4m3_table_lookup(encode_f8e4m3(value));
    default:
      return value;
  }
}

inline int32_t load_i32(const std::byte* p) {
  int32_t value = 0;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

inline void store_i32(std::byte* p, int32_t value) { std::memcpy(p, &value, sizeof(value)); }

// values[i] = round_to(dtype, values[i]) for i < n.
void round_floats(tensor::DType dtype, float* values, int64_t n);

// n consecutive elements of `dtype` at src into dst, and back.
void load_floats(const std::byte* src, tensor::DType dtype, int64_t n, float* dst);
void store_floats(const float* src, tensor::DType dtype, int64_t n, std::byte* dst);

}  // namespace fovea::backend::cpu
