// AVX512_BF16 kernels (simd_avx512bf16.cpp) for bf16 activations against bf16 weights: a GEMV for few rows and a
// GEMM microkernel over packed weight panels. Call them only when cpu_has_avx512_bf16(). fp32 accumulation.
// Must not contain threading or tensor bookkeeping.
#pragma once

#include <cstdint>

namespace fovea::backend::cpu {

// Weight columns (output features) per packed GEMM panel: two 16-lane fp32 accumulators per x row.
constexpr int64_t kBf16PanelCols = 32;

// AVX-512 F/BW/VL and BF16, checked through cpuid and the OS's saved register state.
bool cpu_has_avx512_bf16();

// out[m * out_stride + (n - n_begin)] = sum_k x[m * x_stride + k] * w[n * w_stride + k], n in [n_begin, n_end).
struct Bf16GemvArgs {
  const uint16_t* x = nullptr;  // [num_x_rows, x_stride] bf16, not owned
  int64_t num_x_rows = 0;
  int64_t x_stride = 0;
  int64_t num_in = 0;           // K
  const uint16_t* w = nullptr;  // [N, w_stride] bf16, not owned
  int64_t w_stride = 0;
  int64_t n_begin = 0;
  int64_t n_end = 0;
  float* out = nullptr;  // [num_x_rows, out_stride] f32, not owned
  int64_t out_stride = 0;
};
void gemv_avx512_bf16(const Bf16GemvArgs& args);

// Packs weight rows [num_cols <= kBf16PanelCols, num_in] (even num_in) as k pairs interleaved across 32 columns:
// panel [num_in / 2, kBf16PanelCols, 2] bf16, zero columns past num_cols.
void pack_bf16_panel(const uint16_t* w, int64_t w_stride, int64_t num_cols, int64_t num_in, uint16_t* panel);

// out[m * kBf16PanelCols + j] = sum_k x[m * x_stride + k] * panel column j, for m < num_x_rows (even num_in).
struct Bf16GemmArgs {
  const uint16_t* x = nullptr;  // [num_x_rows, x_stride] bf16, not owned
  int64_t num_x_rows = 0;
  int64_t x_stride = 0;
  int64_t num_in = 0;  // K, even
};
void gemm_avx512_bf16(const Bf16GemmArgs& args, const uint16_t* panel, float* out);

}  // namespace fovea::backend::cpu
