// Inner kernels of the fast CPU ops in two builds: AVX2/FMA/F16C (simd_avx2.cpp, compiled with those flags and
// called only after cpu_has_avx2_fma()) and portable C++ (simd_portable.cpp). Same contracts, fp32 accumulation.
// Must not contain threading or tensor bookkeeping.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace fovea::backend::cpu {

// out[m * out_stride + (n - n_begin)] = sum_k x[m * x_stride + k] * w[n * w_stride + k]
// for m < num_x_rows and n in [n_begin, n_end). w is bf16, f16 or f32 in nn.Linear layout.
struct GemvArgs {
  const float* x = nullptr;  // [num_x_rows, x_stride] f32, not owned
  int64_t num_x_rows = 0;
  int64_t x_stride = 0;
  int64_t num_in = 0;       // K
  const void* w = nullptr;  // [N, w_stride] of w_dtype, not owned
  tensor::DType w_dtype = tensor::DType::kBF16;
  int64_t w_stride = 0;
  int64_t n_begin = 0;
  int64_t n_end = 0;
  float* out = nullptr;  // [num_x_rows, out_stride] f32, not owned
  int64_t out_stride = 0;
};

void gemv_avx2(const GemvArgs& args);
void gemv_portable(const GemvArgs& args);

// sum_i a[i] * b[i]
float dot_avx2(const float* a, const float* b, int64_t n);
float dot_portable(const float* a, const float* b, int64_t n);

// y[i] = y[i] * beta + alpha * x[i]
void scale_add_avx2(float beta, float alpha, const float* x, float* y, int64_t n);
void scale_add_portable(float beta, float alpha, const float* x, float* y, int64_t n);

// dst[i] = float(src[i]) for n bf16 or f16 values.
void bf16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst);
void f16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst);

}  // namespace fovea::backend::cpu
