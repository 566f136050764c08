// Portable versions of the SIMD kernels (CPUs without AVX2/FMA/F16C, and a path the op tests check on every CPU).
#include <cstring>

#include "backend/cpu/simd_kernels.h"
#include "tensor/float_convert.h"

namespace fovea::backend::cpu {
namespace {

float weight_at(const void* w, tensor::DType dtype, int64_t idx) {
  if (dtype == tensor::DType::kF32) return static_cast<const float*>(w)[idx];
  const uint16_t bits = static_cast<const uint16_t*>(w)[idx];
  return dtype == tensor::DType::kBF16 ? tensor::bf16_to_float(bits) : tensor::f16_to_float(bits);
}

}  // namespace

void gemv_portable(const GemvArgs& args) {
  for (int64_t n = args.n_begin; n < args.n_end; ++n) {
    for (int64_t m = 0; m < args.num_x_rows; ++m) {
      const float* x = args.x + m * args.x_stride;
      // Four partial sums break the dependency chain without changing the fp32 contract.
      float partial[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      int64_t k = 0;
      for (; k + 4 <= args.num_in; k += 4) {
        for (int lane = 0; lane < 4; ++lane) {
          partial[lane] += x[k + lane] * weight_at(args.w, args.w_dtype, n * args.w_stride + k + lane);
        }
      }
      for (; k < args.num_in; ++k) partial[0] += x[k] * weight_at(args.w, args.w_dtype, n * args.w_stride + k);
      args.out[m * args.out_stride + (n - args.n_begin)] = (partial[0] + partial[1]) + (partial[2] + partial[3]);
    }
  }
}

float dot_portable(const float* a, const float* b, int64_t n) {
  float partial[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int lane = 0; lane < 4; ++lane) partial[lane] += a[i + lane] * b[i + lane];
  }
  for (; i < n; ++i) partial[0] += a[i] * b[i];
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

void scale_add_portable(float beta, float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] * beta + alpha * x[i];
}

}  // namespace fovea::backend::cpu
