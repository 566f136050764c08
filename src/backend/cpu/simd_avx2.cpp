// AVX2/FMA/F16C kernels (this file alone is compiled with -mavx2 -mfma -mf16c; callers check the CPU first).
// Everything here has internal linkage and no standard-library templates, so no AVX2 code can leak into inline
// functions that other files share. Must not contain threading.
#include "backend/cpu/simd_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

namespace fovea::backend::cpu {
namespace {

struct Bf16Weights {
  using Element = uint16_t;
  static __m256 load8(const Element* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static float load1(const Element* p) { return __builtin_bit_cast(float, static_cast<uint32_t>(*p) << 16); }
};

struct F16Weights {
  using Element = uint16_t;
  static __m256 load8(const Element* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float load1(const Element* p) { return _cvtsh_ss(*p); }
};

struct F32Weights {
  using Element = float;
  static __m256 load8(const Element* p) { return _mm256_loadu_ps(p); }
  static float load1(const Element* p) { return *p; }
};

float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// kRowsW weight rows against kRowsX activation rows: kRowsW * kRowsX accumulators stay in registers while the
// weight rows stream through once.
// Fully unrolled so that the accumulators, weight vectors and row pointers live in registers (GCC does not unroll
// these small loops at -O2 on its own).
#define FOVEA_UNROLL _Pragma("GCC unroll 8")

template <typename W, int kRowsW, int kRowsX>
void gemv_block(const GemvArgs& args, const typename W::Element* w, int64_t n, int64_t m) {
  __m256 acc[kRowsW][kRowsX];
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) {
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) acc[i][r] = _mm256_setzero_ps();
  }
  const typename W::Element* rows[kRowsW];
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) rows[i] = w + (n + i) * args.w_stride;
  const float* x_rows[kRowsX];
  FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) x_rows[r] = args.x + (m + r) * args.x_stride;
  const int64_t num_in = args.num_in;
  int64_t k = 0;
  for (; k + 8 <= num_in; k += 8) {
    __m256 wv[kRowsW];
    FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) wv[i] = W::load8(rows[i] + k);
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      const __m256 xv = _mm256_loadu_ps(x_rows[r] + k);
      FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) acc[i][r] = _mm256_fmadd_ps(wv[i], xv, acc[i][r]);
    }
  }
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) {
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      float tail = 0.0f;
      for (int64_t kk = k; kk < num_in; ++kk) tail += W::load1(rows[i] + kk) * x_rows[r][kk];
      args.out[(m + r) * args.out_stride + (n + i - args.n_begin)] = horizontal_sum(acc[i][r]) + tail;
    }
  }
}

#undef FOVEA_UNROLL

template <typename W>
void gemv_typed(const GemvArgs& args) {
  const auto* w = static_cast<const typename W::Element*>(args.w);
  int64_t n = args.n_begin;
  // One activation row (decode): eight weight rows give eight independent FMA chains, enough to hide FMA latency.
  if (args.num_x_rows == 1) {
    for (; n + 8 <= args.n_end; n += 8) gemv_block<W, 8, 1>(args, w, n, 0);
  }
  for (; n + 4 <= args.n_end; n += 4) {
    int64_t m = 0;
    for (; m + 2 <= args.num_x_rows; m += 2) gemv_block<W, 4, 2>(args, w, n, m);
    if (m < args.num_x_rows) gemv_block<W, 4, 1>(args, w, n, m);
  }
  for (; n < args.n_end; ++n) {
    for (int64_t m = 0; m < args.num_x_rows; ++m) gemv_block<W, 1, 1>(args, w, n, m);
  }
}

}  // namespace

void gemv_avx2(const GemvArgs& args) {
  switch (args.w_dtype) {
    case tensor::DType::kBF16:
      gemv_typed<Bf16Weights>(args);
      return;
    case tensor::DType::kF16:
      gemv_typed<F16Weights>(args);
      return;
    default:
      gemv_typed<F32Weights>(args);
      return;
  }
}

float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void scale_add_avx2(float beta, float alpha, const float* x, float* y, int64_t n) {
  const __m256 beta_v = _mm256_set1_ps(beta);
  const __m256 alpha_v = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(y + i), beta_v);
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(alpha_v, _mm256_loadu_ps(x + i), scaled));
  }
  for (; i < n; ++i) y[i] = y[i] * beta + alpha * x[i];
}

void bf16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, Bf16Weights::load8(src + i));
  for (; i < n; ++i) dst[i] = Bf16Weights::load1(src + i);
}

void f16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, F16Weights::load8(src + i));
  for (; i < n; ++i) dst[i] = F16Weights::load1(src + i);
}

}  // namespace fovea::backend::cpu

#else  // not an x86-64 build with AVX2: the portable kernels stand in (cpu_has_avx2_fma() is false there).

#include "tensor/float_convert.h"

namespace fovea::backend::cpu {

void gemv_avx2(const GemvArgs& args) { gemv_portable(args); }
float dot_avx2(const float* a, const float* b, int64_t n) { return dot_portable(a, b, n); }
void scale_add_avx2(float beta, float alpha, const float* x, float* y, int64_t n) {
  scale_add_portable(beta, alpha, x, y, n);
}
void bf16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = __builtin_bit_cast(float, static_cast<uint32_t>(src[i]) << 16);
}
void f16_to_f32_avx2(const uint16_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = tensor::f16_to_float(src[i]);
}

}  // namespace fovea::backend::cpu

#endif
