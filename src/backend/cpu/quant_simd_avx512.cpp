// AVX-512 decode GEMV for int4 weights (the W4A16 case that dominates 4-bit checkpoints): sixteen columns per step
// through one 16-entry vpermps table per group (the AVX2 kernel needs two 8-entry lookups and a blend per eight), so
// the decode loop stops being shuffle-bound. Values equal dequantize_element's exactly (the table is built with the
// same rounding). Only the functions marked FOVEA_AVX512_TARGET use AVX-512 (the file is built for the baseline);
// callers check quant_cpu_has_avx512() first. Must not contain threading.
#include "backend/cpu/quant_simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>

// GCC 12's AVX-512 intrinsics pass a self-initialised _mm512_undefined_* as the unused merge source, which its
// -W(maybe-)uninitialized report once inlined; the value is never read (all-ones masks).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#define FOVEA_AVX512_TARGET __attribute__((target("avx512f,avx2,fma,f16c")))
#define FOVEA_AVX512_INLINE __attribute__((target("avx512f,avx2,fma,f16c"), always_inline)) inline

namespace fovea::backend::cpu {
namespace {

// Rounds sixteen floats to the dequant dtype and back, bit-exact with tensor::round_to_bf16 / round_to_f16.
template <tensor::DType kDtype>
FOVEA_AVX512_INLINE __m512 round_to_dtype(__m512 value) {
  if constexpr (kDtype == tensor::DType::kBF16) {
    const __m512i bits = _mm512_castps_si512(value);
    const __m512i high_mask = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    const __m512i rounded =
        _mm512_and_si512(_mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), high_mask);
    const __m512i quiet_nan = _mm512_or_si512(_mm512_and_si512(bits, high_mask), _mm512_set1_epi32(0x00400000));
    const __mmask16 is_nan = _mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(is_nan, _mm512_castsi512_ps(rounded), _mm512_castsi512_ps(quiet_nan));
  } else if constexpr (kDtype == tensor::DType::kF16) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(value, _MM_FROUND_TO_NEAREST_INT));
  } else {
    return value;
  }
}

// Sixteen int4 values: words (w, w+1) of `words` (lanes 0-7 and 8-15 via `spread`), nibble i of a word at bit 4i,
// looked up in the group's table (vpermps reads each lane's low 4 bits).
FOVEA_AVX512_INLINE __m512 int4_lookup16(__m512i words, __m512i spread, __m512i shifts, __m512 table) {
  return _mm512_permutexvar_ps(_mm512_srlv_epi32(_mm512_permutexvar_epi32(spread, words), shifts), table);
}

// kRows x rows against one int4 weight row; four accumulators per x row (64 columns a step) hide the FMA latency.
template <tensor::DType kDtype, int kRows>
FOVEA_AVX512_TARGET void dot_rows_int4_typed(const QuantRow& row, const float* x, int64_t x_stride, int64_t num_cols,
                                             float* out) {
  const __m512i codes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i spread[4];  // spread[j]: lanes 0-7 take word 2j, lanes 8-15 word 2j+1
  spread[0] = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  for (int j = 1; j < 4; ++j) spread[j] = _mm512_add_epi32(spread[0], _mm512_set1_epi32(2 * j));
  const __m512i shifts = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
  __m512 acc[4][kRows];
  float tail[kRows];
  for (int m = 0; m < kRows; ++m) {
    for (int j = 0; j < 4; ++j) acc[j][m] = _mm512_setzero_ps();
    tail[m] = 0.0f;
  }
  float scratch[16];
  // Scalar columns: before a word edge, and after the last 16-column step of a group (at most 15 of them).
  auto scalar_span = [&](int64_t begin, int64_t end) FOVEA_AVX512_TARGET {
    while (begin < end) {
      const int64_t count = std::min<int64_t>(end - begin, 16);
      dequantize_row_scalar(row, begin, begin + count, scratch);
      for (int m = 0; m < kRows; ++m) {
        for (int64_t i = 0; i < count; ++i) tail[m] += scratch[i] * x[m * x_stride + begin + i];
      }
      begin += count;
    }
  };
  int64_t col = 0;
  while (col < num_cols) {
    const int64_t group_idx = col / row.group_size;
    const int64_t group_end = std::min(num_cols, (group_idx + 1) * row.group_size);
    const int32_t zero = row.zeros != nullptr ? row.zeros[group_idx] : row.default_zero;
    // The sixteen values this group can hold, rounded like any element.
    const __m512 table = round_to_dtype<kDtype>(_mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_sub_epi32(codes, _mm512_set1_epi32(zero))), _mm512_set1_ps(row.scales[group_idx])));
    int64_t aligned = std::min(group_end, (col + 7) / 8 * 8);
    if (aligned > col) scalar_span(col, aligned);
    for (; aligned + 64 <= group_end; aligned += 64) {
      const __m512i words =
          _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row.codes + aligned / 2)));
      for (int j = 0; j < 4; ++j) {
        const __m512 w = int4_lookup16(words, spread[j], shifts, table);
        for (int m = 0; m < kRows; ++m) {
          acc[j][m] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + m * x_stride + aligned + 16 * j), acc[j][m]);
        }
      }
    }
    for (; aligned + 16 <= group_end; aligned += 16) {
      const __m512i words =
          _mm512_zextsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row.codes + aligned / 2)));
      const __m512 w = int4_lookup16(words, spread[0], shifts, table);
      for (int m = 0; m < kRows; ++m) {
        acc[0][m] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + m * x_stride + aligned), acc[0][m]);
      }
    }
    if (aligned < group_end) scalar_span(aligned, group_end);
    col = group_end;
  }
  for (int m = 0; m < kRows; ++m) {
    const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc[0][m], acc[1][m]), _mm512_add_ps(acc[2][m], acc[3][m]));
    out[m] = _mm512_reduce_add_ps(sum) + tail[m];
  }
}

template <tensor::DType kDtype>
FOVEA_AVX512_TARGET void dot_rows_int4_dtype(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows,
                                             int64_t num_cols, float* out) {
  switch (num_x_rows) {
    case 1:
      return dot_rows_int4_typed<kDtype, 1>(row, x, x_stride, num_cols, out);
    case 2:
      return dot_rows_int4_typed<kDtype, 2>(row, x, x_stride, num_cols, out);
    case 3:
      return dot_rows_int4_typed<kDtype, 3>(row, x, x_stride, num_cols, out);
    default:
      return dot_rows_int4_typed<kDtype, 4>(row, x, x_stride, num_cols, out);
  }
}

}  // namespace

bool quant_cpu_has_avx512() {
  static const bool has =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

FOVEA_AVX512_TARGET void dot_rows_int4_avx512(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows,
                                              int64_t num_cols, float* out) {
  switch (row.dequant_dtype) {
    case tensor::DType::kBF16:
      return dot_rows_int4_dtype<tensor::DType::kBF16>(row, x, x_stride, num_x_rows, num_cols, out);
    case tensor::DType::kF16:
      return dot_rows_int4_dtype<tensor::DType::kF16>(row, x, x_stride, num_x_rows, num_cols, out);
    default:
      return dot_rows_int4_dtype<tensor::DType::kF32>(row, x, x_stride, num_x_rows, num_cols, out);
  }
}

}  // namespace fovea::backend::cpu

#undef FOVEA_AVX512_TARGET
#undef FOVEA_AVX512_INLINE

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#else  // not an x86-64 GCC/Clang build: never called (quant_cpu_has_avx512() is false there).

namespace fovea::backend::cpu {

bool quant_cpu_has_avx512() { return false; }

void dot_rows_int4_avx512(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows, int64_t num_cols,
                          float* out) {
  dot_rows_avx2(row, x, x_stride, num_x_rows, num_cols, out);
}

}  // namespace fovea::backend::cpu

#endif
