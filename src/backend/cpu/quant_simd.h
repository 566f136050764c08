// Row dequantisation kernels of the fast quantized linear: an AVX2/FMA/F16C build (quant_simd_avx2.cpp, functions
// compiled for those extensions by target attributes and called only after cpu_has_avx2_fma()), an AVX-512 int4
// decode GEMV (quant_simd_avx512.cpp, after quant_cpu_has_avx512()) and a portable one. All use exactly
// dequantize_element's values. Must not contain threading or tensor bookkeeping.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/weight.h"
#include "tensor/dtype.h"

namespace fovea::backend::cpu {

// One row of a quantized weight as raw pointers (see weight.h for the layouts).
struct QuantRow {
  WeightFormat format = WeightFormat::kInt4;
  const std::byte* codes = nullptr;  // the row's packed codes; not owned
  const float* scales = nullptr;     // the row's scale row [num_groups]; not owned
  const uint8_t* zeros = nullptr;    // the row's zero points [num_groups], or null: default_zero; not owned
  int32_t default_zero = 8;
  int64_t group_size = 0;
  tensor::DType dequant_dtype = tensor::DType::kF32;
};

// The QuantRow of row row_idx of w (a weight that passed check_quantized_weight).
QuantRow quant_row(const Weight& w, int64_t row_idx);

// out[c - col_begin] = element (row, c) for packed columns c in [col_begin, col_end).
void dequantize_row_avx2(const QuantRow& row, int64_t col_begin, int64_t col_end, float* out);
void dequantize_row_scalar(const QuantRow& row, int64_t col_begin, int64_t col_end, float* out);

// Decode GEMV without scratch: out[m] = sum over packed columns c of element (row, c) * x[m * x_stride + c], for
// m < num_x_rows <= kMaxFusedRows, each weight vector dequantised once in registers and used for every x row.
inline constexpr int kMaxFusedRows = 4;
void dot_rows_avx2(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows, int64_t num_cols, float* out);

// AVX-512F (with AVX2/FMA) present and usable; a private check (cpu_features.h knows only AVX2).
bool quant_cpu_has_avx512();

// dot_rows_avx2's contract for int4 rows only, sixteen columns per step.
void dot_rows_int4_avx512(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows, int64_t num_cols,
                          float* out);

}  // namespace fovea::backend::cpu
