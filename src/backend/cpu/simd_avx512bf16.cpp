// AVX512_BF16 kernels for bf16 activations against bf16 weights (vdpbf16ps: products of two bf16 values are exact
// in fp32, accumulated in fp32), so neither side is converted. Only functions marked FOVEA_BF16_TARGET use
// AVX-512 (the file is built for the baseline); callers check cpu_has_avx512_bf16() first. Must not contain
// threading or tensor bookkeeping.
#include "backend/cpu/simd_bf16_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass a self-initialised _mm512_undefined_* as the unused merge source, which its
// -W(maybe-)uninitialized report once inlined; the value is never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#define FOVEA_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define FOVEA_BF16_INLINE __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline)) inline
#define FOVEA_UNROLL _Pragma("GCC unroll 8")

namespace fovea::backend::cpu {
namespace {

FOVEA_BF16_INLINE __m512bh load_bf16x32(const uint16_t* p) { return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p)); }
// The first `count` (< 32) values, zeros after: a zero pair adds nothing to the dot product.
FOVEA_BF16_INLINE __m512bh load_bf16_tail(const uint16_t* p, int64_t count) {
  const __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << count) - 1);
  return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

// kRowsW weight rows against kRowsX activation rows, 32 k per step; accumulators stay in registers.
template <int kRowsW, int kRowsX>
FOVEA_BF16_INLINE void gemv_block(const Bf16GemvArgs& args, int64_t n, int64_t m) {
  __m512 acc[kRowsW][kRowsX];
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) {
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) acc[i][r] = _mm512_setzero_ps();
  }
  const uint16_t* rows[kRowsW];
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) rows[i] = args.w + (n + i) * args.w_stride;
  const uint16_t* x_rows[kRowsX];
  FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) x_rows[r] = args.x + (m + r) * args.x_stride;
  const int64_t num_in = args.num_in;
  int64_t k = 0;
  for (; k + 32 <= num_in; k += 32) {
    __m512bh wv[kRowsW];
    FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) wv[i] = load_bf16x32(rows[i] + k);
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      const __m512bh xv = load_bf16x32(x_rows[r] + k);
      FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], wv[i], xv);
    }
  }
  if (k < num_in) {
    __m512bh wv[kRowsW];
    FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) wv[i] = load_bf16_tail(rows[i] + k, num_in - k);
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      const __m512bh xv = load_bf16_tail(x_rows[r] + k, num_in - k);
      FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], wv[i], xv);
    }
  }
  FOVEA_UNROLL for (int i = 0; i < kRowsW; ++i) {
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      args.out[(m + r) * args.out_stride + (n + i - args.n_begin)] = _mm512_reduce_add_ps(acc[i][r]);
    }
  }
}

// C block [kRowsX, 32] += x rows · packed panel, one k pair per step: two 16-column vectors of the panel, and for
// each x row its (k, k+1) pair broadcast to every lane.
template <int kRowsX>
FOVEA_BF16_INLINE void gemm_block(const Bf16GemmArgs& args, const uint16_t* panel, int64_t m, float* out) {
  __m512 acc[kRowsX][2];
  FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
    acc[r][0] = _mm512_setzero_ps();
    acc[r][1] = _mm512_setzero_ps();
  }
  const uint16_t* x_rows[kRowsX];
  FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) x_rows[r] = args.x + (m + r) * args.x_stride;
  const int64_t num_pairs = args.num_in / 2;
  for (int64_t pair_idx = 0; pair_idx < num_pairs; ++pair_idx) {
    const uint16_t* b = panel + pair_idx * (2 * kBf16PanelCols);
    const __m512bh b0 = load_bf16x32(b);
    const __m512bh b1 = load_bf16x32(b + 32);
    FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
      int32_t pair_bits = 0;
      __builtin_memcpy(&pair_bits, x_rows[r] + 2 * pair_idx, sizeof(pair_bits));
      const __m512bh xv = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair_bits));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], b0, xv);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], b1, xv);
    }
  }
  FOVEA_UNROLL for (int r = 0; r < kRowsX; ++r) {
    _mm512_storeu_ps(out + (m + r) * kBf16PanelCols, acc[r][0]);
    _mm512_storeu_ps(out + (m + r) * kBf16PanelCols + 16, acc[r][1]);
  }
}

}  // namespace

bool cpu_has_avx512_bf16() {
  static const bool kHas = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  return kHas;
}

FOVEA_BF16_TARGET void gemv_avx512_bf16(const Bf16GemvArgs& args) {
  int64_t n = args.n_begin;
  // One activation row (decode): eight weight rows give eight independent accumulation chains.
  if (args.num_x_rows == 1) {
    for (; n + 8 <= args.n_end; n += 8) gemv_block<8, 1>(args, n, 0);
  }
  for (; n + 4 <= args.n_end; n += 4) {
    int64_t m = 0;
    for (; m + 2 <= args.num_x_rows; m += 2) gemv_block<4, 2>(args, n, m);
    if (m < args.num_x_rows) gemv_block<4, 1>(args, n, m);
  }
  for (; n < args.n_end; ++n) {
    for (int64_t m = 0; m < args.num_x_rows; ++m) gemv_block<1, 1>(args, n, m);
  }
}

FOVEA_BF16_TARGET void pack_bf16_panel(const uint16_t* w, int64_t w_stride, int64_t num_cols, int64_t num_in,
                                       uint16_t* panel) {
  // panel[(k / 2) * 64 + col * 2 + k % 2] = w[col, k]; columns past num_cols are zero.
  for (int64_t col = 0; col < kBf16PanelCols; ++col) {
    const uint16_t* row = w + col * w_stride;
    for (int64_t k = 0; k < num_in; k += 2) {
      uint16_t* dst = panel + (k / 2) * (2 * kBf16PanelCols) + col * 2;
      dst[0] = col < num_cols ? row[k] : 0;
      dst[1] = col < num_cols ? row[k + 1] : 0;
    }
  }
}

FOVEA_BF16_TARGET void gemm_avx512_bf16(const Bf16GemmArgs& args, const uint16_t* panel, float* out) {
  int64_t m = 0;
  for (; m + 8 <= args.num_x_rows; m += 8) gemm_block<8>(args, panel, m, out);
  for (; m < args.num_x_rows; ++m) gemm_block<1>(args, panel, m, out);
}

}  // namespace fovea::backend::cpu

#undef FOVEA_UNROLL
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#else  // not x86-64 GCC/Clang: no AVX512_BF16 (cpu_has_avx512_bf16() is false, nothing calls the kernels).

namespace fovea::backend::cpu {

bool cpu_has_avx512_bf16() { return false; }
void gemv_avx512_bf16(const Bf16GemvArgs&) {}
void pack_bf16_panel(const uint16_t*, int64_t, int64_t, int64_t, uint16_t*) {}
void gemm_avx512_bf16(const Bf16GemmArgs&, const uint16_t*, float*) {}

}  // namespace fovea::backend::cpu

#endif
