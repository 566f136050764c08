// Dequantisation of quantized Weights on the CPU, element by element (the oracle the fast kernels and the goldens
// are checked against), plus the argument checks of a quantized linear. The formula is weight.h's QuantParams.
// Must not contain SIMD or threading.
#pragma once

#include <cstdint>

#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"

namespace fovea::backend::cpu {

// A quantized weight whose fields agree with each other (shapes, dtypes, host buffers, group sizes), so kernels can
// read it without further checks. quant::load_linear builds only such weights; this catches hand-made ones.
base::Status check_quantized_weight(std::string_view op, const Weight& w);

// check_quantized_weight plus the x / bias / y checks of Ops::linear.
base::Status check_quantized_linear(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);

// Element (row_idx, packed column col_idx) of the dequantised matrix, rounded to quant.dequant_dtype.
float dequantize_element(const Weight& w, int64_t row_idx, int64_t col_idx);

// Packed columns [col_begin, col_end) of row row_idx into out[0, col_end - col_begin), element by element.
void dequantize_row_portable(const Weight& w, int64_t row_idx, int64_t col_begin, int64_t col_end, float* out);

// The whole matrix in the checkpoint's column order (column_order undone): out is [N, K] fp32, row-major. `w` must
// be a quantized Weight that quant::place_linear built (a dense one is a caller bug).
void dequantize_matrix(const Weight& w, float* out);

}  // namespace fovea::backend::cpu
