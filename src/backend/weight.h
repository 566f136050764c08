// Weight: the right-hand side of a linear map in nn.Linear layout [out_features, in_features], with its storage
// format: dense bf16/f16/f32, or a quantized format in the one repacked layout per format that every backend's
// kernels read (quant/ converts the checkpoint formats into it, docs/QUANT.md). Must not contain kernels or
// loading code.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/tensor.h"

namespace fovea::backend {

enum class WeightFormat : uint8_t {
  kDense,  // `values` holds the matrix itself
  kInt4,   // `values` [N, ceil(K/8)] i32 words: bits 4i..4i+3 of word j hold column 8j+i as an unsigned code 0..15
  kInt8,   // `values` [N, K] u8: unsigned codes 0..255
  kFp8,    // `values` [N, K] f8e4m3 codes
};

// Scales and zero points of a quantized weight. Element (n, k) of the matrix, k counting packed columns, is
//   round_to(dequant_dtype, code(n, k) * scales[n / scale_block_rows, k / group_size])
// where code is (u - zero(n, k / group_size)) for the int formats and the fp8 value for kFp8. The fp32 product is
// exact (or, for fp8 times an f32 scale, rounded once as PyTorch does), so one rounding to the checkpoint's scale
// dtype reproduces the producer's dequantisation.
struct QuantParams {
  int64_t in_features = 0;       // K (values.dim(1) counts packed words for kInt4)
  int64_t group_size = 0;        // packed columns per scale column (K for per-channel and per-tensor scales)
  int64_t scale_block_rows = 1;  // rows per scale row: 1 (per-row groups), 128 (fp8 blocks), N (per tensor)
  tensor::DType dequant_dtype = tensor::DType::kF32;  // bf16 / f16 / f32: the checkpoint's scale dtype
  Tensor scales;                                      // [ceil(N / scale_block_rows), ceil(K / group_size)] f32
  Tensor zeros;         // int formats: [N, ceil(K / group_size)] u8 unsigned zero points; buffer null when
                        // symmetric: zero = 8 (int4) or 128 (int8)
  Tensor column_order;  // [K] i32: packed column k reads input column column_order[k] (activation
                        // ordering, groups made contiguous); buffer null for the identity
  bool has_zeros() const { return zeros.buffer != nullptr; }
  bool has_column_order() const { return column_order.buffer != nullptr; }
};

struct Weight {
  WeightFormat format = WeightFormat::kDense;
  Tensor values;      // kDense: [out_features, in_features] bf16 / f16 / f32; other formats: see WeightFormat
  QuantParams quant;  // quantized formats only
  // Buffers this weight keeps alive (what quant::load_linear allocated or wrapped); empty when the caller owns
  // the memory the views point into.
  std::vector<std::shared_ptr<Buffer>> storage;

  bool is_quantized() const { return format != WeightFormat::kDense; }
  int64_t out_features() const { return values.dim(0); }
  int64_t in_features() const { return is_quantized() ? quant.in_features : values.dim(1); }
};

}  // namespace fovea::backend
