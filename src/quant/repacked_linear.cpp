// RepackedLinear: packed row sizes and code access.
#include "quant/repacked_linear.h"

#include <cstring>

namespace fovea::quant {

int64_t RepackedLinear::packed_row_bytes() const {
  return format == backend::WeightFormat::kInt4 ? (in_features + 7) / 8 * 4 : in_features;
}

uint32_t code_at(const RepackedLinear& linear, int64_t row_idx, int64_t col_idx) {
  const std::byte* row = linear.codes_data() + row_idx * linear.code_row_bytes;
  if (linear.format == backend::WeightFormat::kInt4) {
    uint32_t word = 0;
    std::memcpy(&word, row + (col_idx / 8) * 4, sizeof(word));
    return (word >> (4 * (col_idx % 8))) & 0xfu;
  }
  return static_cast<uint8_t>(row[col_idx]);
}

}  // namespace fovea::quant
