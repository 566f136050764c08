// Runs of element conversions (one dtype switch per run, loops the compiler can vectorise) and the fp8 table.
#include "backend/cpu/element_io.h"

#include <array>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/simd_kernels.h"

namespace fovea::backend::cpu {
namespace {

std::array<float, 256> make_f8e4m3_table() {
  std::array<float, 256> table{};
  for (int bits = 0; bits < 256; ++bits)
    table[static_cast<size_t>(bits)] = tensor::f8e4m3_to_float(static_cast<uint8_t>(bits));
  return table;
}

const std::array<float, 256> kF8E4M3Table = make_f8e4m3_table();

}  // namespace

float f8e4m3_table_lookup(uint8_t bits) { return kF8E4M3Table[bits]; }

void round_floats(tensor::DType dtype, float* values, int64_t n) {
  switch (dtype) {
    case tensor::DType::kBF16:
      for (int64_t i = 0; i < n; ++i) values[i] = tensor::round_to_bf16(values[i]);
      return;
    case tensor::DType::kF16:
      for (int64_t i = 0; i < n; ++i) values[i] = tensor::round_to_f16(values[i]);
      return;
    case tensor::DType::kF8E4M3:
      for (int64_t i = 0; i < n; ++i) values[i] = kF8E4M3Table[encode_f8e4m3(values[i])];
      return;
    default:
      return;
  }
}

void load_floats(const std::byte* src, tensor::DType dtype, int64_t n, float* dst) {
  switch (dtype) {
    case tensor::DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case tensor::DType::kBF16: {
      const auto* bits = reinterpret_cast<const uint16_t*>(src);
      if (cpu_has_avx2_fma()) {
        bf16_to_f32_avx2(bits, n, dst);
        return;
      }
      for (int64_t i = 0; i < n; ++i) dst[i] = tensor::bf16_to_float(bits[i]);
      return;
    }
    case tensor::DType::kF16: {
      const auto* bits = reinterpret_cast<const uint16_t*>(src);
      if (cpu_has_avx2_fma()) {
        f16_to_f32_avx2(bits, n, dst);
        return;
      }
      for (int64_t i = 0; i < n; ++i) dst[i] = tensor::f16_to_float(bits[i]);
      return;
    }
    case tensor::DType::kF8E4M3: {
      const auto* bits = reinterpret_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = kF8E4M3Table[bits[i]];
      return;
    }
    default:
      return;
  }
}

void store_floats(const float* src, tensor::DType dtype, int64_t n, std::byte* dst) {
  switch (dtype) {
    case tensor::DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case tensor::DType::kBF16: {
      auto* bits = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) bits[i] = tensor::float_to_bf16(src[i]);
      return;
    }
    case tensor::DType::kF16: {
      auto* bits = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) bits[i] = tensor::float_to_f16(src[i]);
      return;
    }
    case tensor::DType::kF8E4M3: {
      auto* bits = reinterpret_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) bits[i] = encode_f8e4m3(src[i]);
      return;
    }
    default:
      return;
  }
}

}  // namespace fovea::backend::cpu
