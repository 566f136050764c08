// AVX2/FMA/F16C row dequantisation. Only the functions marked kAvx2Target are compiled for those extensions (the
// file itself is built for the baseline), so no AVX2 code can reach functions other files share; callers check
// cpu_has_avx2_fma() first. Eight columns per step; group edges and int4 word edges fall back to the scalar kernel.
// Must not contain threading.
#include "backend/cpu/quant_simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#define FOVEA_AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define FOVEA_AVX2_LAMBDA __attribute__((target("avx2,fma,f16c")))
#define FOVEA_AVX2_INLINE __attribute__((target("avx2,fma,f16c"), always_inline)) inline

namespace fovea::backend::cpu {
namespace {

// Rounds eight floats to the dequant dtype and back, bit-exact with tensor::round_to_bf16 / round_to_f16.
FOVEA_AVX2_INLINE __m256 round_to_dtype(__m256 value, tensor::DType dtype) {
  if (dtype == tensor::DType::kBF16) {
    const __m256i bits = _mm256_castps_si256(value);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_and_si256(_mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))),
                                             _mm256_set1_epi32(static_cast<int>(0xffff0000u)));
    const __m256i quiet_nan = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(static_cast<int>(0xffff0000u))),
                                              _mm256_set1_epi32(0x00400000));
    const __m256 is_nan = _mm256_cmp_ps(value, value, _CMP_UNORD_Q);
    return _mm256_blendv_ps(_mm256_castsi256_ps(rounded), _mm256_castsi256_ps(quiet_nan), is_nan);
  }
  if (dtype == tensor::DType::kF16) return _mm256_cvtph_ps(_mm256_cvtps_ph(value, _MM_FROUND_TO_NEAREST_INT));
  return value;
}

// float8_e4m3fn codes to floats: the magnitude bits moved into fp32's exponent and mantissa fields and scaled by
// 2^120 (rebias 7 -> 127; subnormal codes become fp32 subnormals, which the multiply makes exact normals).
FOVEA_AVX2_INLINE __m256 fp8_to_float(__m256i codes) {
  const __m256i magnitude = _mm256_and_si256(codes, _mm256_set1_epi32(0x7f));
  __m256 value = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(magnitude, 20)), _mm256_set1_ps(0x1p120f));
  const __m256i is_nan = _mm256_cmpeq_epi32(magnitude, _mm256_set1_epi32(0x7f));
  value = _mm256_blendv_ps(value, _mm256_set1_ps(__builtin_nanf("")), _mm256_castsi256_ps(is_nan));
  const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(codes, _mm256_set1_epi32(0x80)), 24);
  return _mm256_or_ps(value, _mm256_castsi256_ps(sign));
}

FOVEA_AVX2_INLINE float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

FOVEA_AVX2_INLINE __m256i load8_bytes(const std::byte* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// Eight codes of `format` at packed column col (a multiple of 8 for int4) as floats, the zero point subtracted.
template <WeightFormat kFormat>
FOVEA_AVX2_INLINE __m256 codes8(const QuantRow& row, int64_t col, __m256i zero_v, __m256i shifts) {
  if constexpr (kFormat == WeightFormat::kInt4) {
    uint32_t word = 0;
    std::memcpy(&word, row.codes + (col / 8) * 4, sizeof(word));
    const __m256i nibbles =
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(word)), shifts), _mm256_set1_epi32(0xf));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(nibbles, zero_v));
  } else if constexpr (kFormat == WeightFormat::kInt8) {
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(load8_bytes(row.codes + col), zero_v));
  } else {
    return fp8_to_float(load8_bytes(row.codes + col));
  }
}

// int4: the 16 dequantised values a group can hold, as two vectors (codes 0-7, 8-15), rounded like any element.
struct Int4Table {
  __m256 low;
  __m256 high;
};

FOVEA_AVX2_INLINE Int4Table int4_table(__m256 scale_v, __m256i zero_v, tensor::DType dtype) {
  const __m256i low_codes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i high_codes = _mm256_add_epi32(low_codes, _mm256_set1_epi32(8));
  return {round_to_dtype(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(low_codes, zero_v)), scale_v), dtype),
          round_to_dtype(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(high_codes, zero_v)), scale_v), dtype)};
}

// Eight int4 values of the word at packed column col through the table: each lane's low 3 bits pick within a half
// (vpermps reads only those), bit 3 shifted into the sign bit picks the half.
FOVEA_AVX2_INLINE __m256 int4_lookup(const QuantRow& row, int64_t col, const Int4Table& table, __m256i shifts) {
  uint32_t word = 0;
  std::memcpy(&word, row.codes + (col / 8) * 4, sizeof(word));
  const __m256i lanes = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(word)), shifts);
  const __m256 low = _mm256_permutevar8x32_ps(table.low, lanes);
  const __m256 high = _mm256_permutevar8x32_ps(table.high, lanes);
  return _mm256_blendv_ps(low, high, _mm256_castsi256_ps(_mm256_slli_epi32(lanes, 28)));
}

// Eight dequantised values at packed column col of the current group.
template <WeightFormat kFormat, tensor::DType kDtype>
FOVEA_AVX2_INLINE __m256 weights8(const QuantRow& row, int64_t col, __m256 scale_v, __m256i zero_v,
                                  const Int4Table& table, __m256i shifts) {
  if constexpr (kFormat == WeightFormat::kInt4) {
    return int4_lookup(row, col, table, shifts);
  } else {
    return round_to_dtype(_mm256_mul_ps(codes8<kFormat>(row, col, zero_v, shifts), scale_v), kDtype);
  }
}

// Columns [begin, end) of one group (same scale and zero), begin a multiple of 8 for int4.
FOVEA_AVX2_TARGET int64_t dequantize_group_span(const QuantRow& row, int64_t begin, int64_t end, float scale,
                                                int32_t zero, float* out) {
  const __m256 scale_v = _mm256_set1_ps(scale);
  const __m256i zero_v = _mm256_set1_epi32(zero);
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  int64_t col = begin;
  if (row.format == WeightFormat::kInt4) {
    const Int4Table table = int4_table(scale_v, zero_v, row.dequant_dtype);
    for (; col + 8 <= end; col += 8) _mm256_storeu_ps(out + col, int4_lookup(row, col, table, shifts));
    return col;
  }
  for (; col + 8 <= end; col += 8) {
    const __m256 code = row.format == WeightFormat::kInt8 ? codes8<WeightFormat::kInt8>(row, col, zero_v, shifts)
                                                          : codes8<WeightFormat::kFp8>(row, col, zero_v, shifts);
    _mm256_storeu_ps(out + col, round_to_dtype(_mm256_mul_ps(code, scale_v), row.dequant_dtype));
  }
  return col;
}

// kRows x rows against one weight row; two accumulators per x row break the FMA latency chain.
template <WeightFormat kFormat, tensor::DType kDtype, int kRows>
FOVEA_AVX2_TARGET void dot_rows_typed(const QuantRow& row, const float* x, int64_t x_stride, int64_t num_cols,
                                      float* out) {
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  __m256 acc[2][kRows];
  float tail[kRows];
  for (int m = 0; m < kRows; ++m) {
    acc[0][m] = _mm256_setzero_ps();
    acc[1][m] = _mm256_setzero_ps();
    tail[m] = 0.0f;
  }
  float scratch[8];
  // Scalar columns (before an int4 word edge, after the last full vector of a group).
  auto scalar_span = [&](int64_t begin, int64_t end) FOVEA_AVX2_LAMBDA {
    dequantize_row_scalar(row, begin, end, scratch);
    for (int m = 0; m < kRows; ++m) {
      for (int64_t i = 0; i < end - begin; ++i) tail[m] += scratch[i] * x[m * x_stride + begin + i];
    }
  };
  int64_t col = 0;
  while (col < num_cols) {
    const int64_t group_idx = col / row.group_size;
    const int64_t group_end = std::min(num_cols, (group_idx + 1) * row.group_size);
    const __m256 scale_v = _mm256_set1_ps(row.scales[group_idx]);
    const __m256i zero_v = _mm256_set1_epi32(row.zeros != nullptr ? row.zeros[group_idx] : row.default_zero);
    Int4Table table{};
    if constexpr (kFormat == WeightFormat::kInt4) table = int4_table(scale_v, zero_v, kDtype);
    int64_t aligned = kFormat == WeightFormat::kInt4 ? std::min(group_end, (col + 7) / 8 * 8) : col;
    if (aligned > col) scalar_span(col, aligned);
    for (; aligned + 16 <= group_end; aligned += 16) {
      const __m256 w0 = weights8<kFormat, kDtype>(row, aligned, scale_v, zero_v, table, shifts);
      const __m256 w1 = weights8<kFormat, kDtype>(row, aligned + 8, scale_v, zero_v, table, shifts);
      for (int m = 0; m < kRows; ++m) {
        acc[0][m] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + m * x_stride + aligned), acc[0][m]);
        acc[1][m] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + m * x_stride + aligned + 8), acc[1][m]);
      }
    }
    for (; aligned + 8 <= group_end; aligned += 8) {
      const __m256 w = weights8<kFormat, kDtype>(row, aligned, scale_v, zero_v, table, shifts);
      for (int m = 0; m < kRows; ++m) {
        acc[0][m] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + m * x_stride + aligned), acc[0][m]);
      }
    }
    if (aligned < group_end) scalar_span(aligned, group_end);
    col = group_end;
  }
  for (int m = 0; m < kRows; ++m) out[m] = horizontal_sum(_mm256_add_ps(acc[0][m], acc[1][m])) + tail[m];
}

template <WeightFormat kFormat, tensor::DType kDtype>
FOVEA_AVX2_TARGET void dot_rows_dtype(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows,
                                      int64_t num_cols, float* out) {
  switch (num_x_rows) {
    case 1:
      return dot_rows_typed<kFormat, kDtype, 1>(row, x, x_stride, num_cols, out);
    case 2:
      return dot_rows_typed<kFormat, kDtype, 2>(row, x, x_stride, num_cols, out);
    case 3:
      return dot_rows_typed<kFormat, kDtype, 3>(row, x, x_stride, num_cols, out);
    default:
      return dot_rows_typed<kFormat, kDtype, 4>(row, x, x_stride, num_cols, out);
  }
}

template <WeightFormat kFormat>
FOVEA_AVX2_TARGET void dot_rows_format(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows,
                                       int64_t num_cols, float* out) {
  switch (row.dequant_dtype) {
    case tensor::DType::kBF16:
      return dot_rows_dtype<kFormat, tensor::DType::kBF16>(row, x, x_stride, num_x_rows, num_cols, out);
    case tensor::DType::kF16:
      return dot_rows_dtype<kFormat, tensor::DType::kF16>(row, x, x_stride, num_x_rows, num_cols, out);
    default:
      return dot_rows_dtype<kFormat, tensor::DType::kF32>(row, x, x_stride, num_x_rows, num_cols, out);
  }
}

}  // namespace

FOVEA_AVX2_TARGET void dot_rows_avx2(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows,
                                     int64_t num_cols, float* out) {
  switch (row.format) {
    case WeightFormat::kInt4:
      return dot_rows_format<WeightFormat::kInt4>(row, x, x_stride, num_x_rows, num_cols, out);
    case WeightFormat::kInt8:
      return dot_rows_format<WeightFormat::kInt8>(row, x, x_stride, num_x_rows, num_cols, out);
    default:
      return dot_rows_format<WeightFormat::kFp8>(row, x, x_stride, num_x_rows, num_cols, out);
  }
}

FOVEA_AVX2_TARGET void dequantize_row_avx2(const QuantRow& row, int64_t col_begin, int64_t col_end, float* out) {
  float* base = out - col_begin;  // base[c] is column c's slot
  int64_t col = col_begin;
  while (col < col_end) {
    const int64_t group_idx = col / row.group_size;
    const int64_t group_end = std::min(col_end, (group_idx + 1) * row.group_size);
    // int4 words start every 8 columns: columns before the next word edge go through the scalar kernel.
    const int64_t aligned = row.format == WeightFormat::kInt4 ? std::min(group_end, (col + 7) / 8 * 8) : col;
    if (aligned > col) dequantize_row_scalar(row, col, aligned, base + col);
    const int32_t zero = row.zeros != nullptr ? row.zeros[group_idx] : row.default_zero;
    const int64_t done = dequantize_group_span(row, aligned, group_end, row.scales[group_idx], zero, base);
    if (done < group_end) dequantize_row_scalar(row, done, group_end, base + done);
    col = group_end;
  }
}

}  // namespace fovea::backend::cpu

#undef FOVEA_AVX2_TARGET
#undef FOVEA_AVX2_INLINE
#undef FOVEA_AVX2_LAMBDA

#else  // not an x86-64 GCC/Clang build: the scalar kernel stands in (cpu_has_avx2_fma() is false there).

namespace fovea::backend::cpu {

void dequantize_row_avx2(const QuantRow& row, int64_t col_begin, int64_t col_end, float* out) {
  dequantize_row_scalar(row, col_begin, col_end, out);
}

void dot_rows_avx2(const QuantRow& row, const float* x, int64_t x_stride, int num_x_rows, int64_t num_cols,
                   float* out) {
  float values[64];
  for (int m = 0; m < num_x_rows; ++m) out[m] = 0.0f;
  for (int64_t begin = 0; begin < num_cols; begin += 64) {
    const int64_t count = num_cols - begin < 64 ? num_cols - begin : 64;
    dequantize_row_scalar(row, begin, begin + count, values);
    for (int m = 0; m < num_x_rows; ++m) {
      for (int64_t i = 0; i < count; ++i) out[m] += values[i] * x[m * x_stride + begin + i];
    }
  }
}

}  // namespace fovea::backend::cpu

#endif
