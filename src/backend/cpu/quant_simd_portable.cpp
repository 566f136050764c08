// QuantRow construction and the portable row dequantisation (also the scalar heads and tails of the AVX2 kernel).
#include <cstring>

#include "backend/cpu/element_io.h"
#include "backend/cpu/quant_simd.h"
#include "backend/cpu/tensor_access.h"

namespace fovea::backend::cpu {

QuantRow quant_row(const Weight& w, int64_t row_idx) {
  const QuantParams& q = w.quant;
  QuantRow row;
  row.format = w.format;
  row.codes = element_at(w.values, row_idx, 0);
  row.scales = reinterpret_cast<const float*>(element_at(q.scales, row_idx / q.scale_block_rows, 0));
  row.zeros = q.has_zeros() ? reinterpret_cast<const uint8_t*>(element_at(q.zeros, row_idx, 0)) : nullptr;
  row.default_zero = w.format == WeightFormat::kInt4 ? 8 : 128;
  row.group_size = q.group_size;
  row.dequant_dtype = q.dequant_dtype;
  return row;
}

void dequantize_row_scalar(const QuantRow& row, int64_t col_begin, int64_t col_end, float* out) {
  for (int64_t col_idx = col_begin; col_idx < col_end; ++col_idx) {
    const int64_t group_idx = col_idx / row.group_size;
    float code = 0.0f;
    if (row.format == WeightFormat::kFp8) {
      code = f8e4m3_table_lookup(static_cast<uint8_t>(row.codes[col_idx]));
    } else {
      int32_t unsigned_code = 0;
      if (row.format == WeightFormat::kInt4) {
        uint32_t word = 0;
        std::memcpy(&word, row.codes + (col_idx / 8) * 4, sizeof(word));
        unsigned_code = static_cast<int32_t>((word >> (4 * (col_idx % 8))) & 0xfu);
      } else {
        unsigned_code = static_cast<uint8_t>(row.codes[col_idx]);
      }
      const int32_t zero = row.zeros != nullptr ? row.zeros[group_idx] : row.default_zero;
      code = static_cast<float>(unsigned_code - zero);
    }
    out[col_idx - col_begin] = round_to(row.dequant_dtype, code * row.scales[group_idx]);
  }
}

}  // namespace fovea::backend::cpu
