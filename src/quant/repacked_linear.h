// RepackedLinear: one quantized Linear after its checkpoint tensors were checked and converted on the host into
// backend::Weight's layout (weight.h), before it is placed on a device. Codes that already have that layout in the
// file (compressed-tensors int4/int8, every FP8 format) stay a view into the mapping; the rest are owned here.
// Must not contain device code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/weight.h"
#include "tensor/dtype.h"

namespace fovea::quant {

struct RepackedLinear {
  backend::WeightFormat format = backend::WeightFormat::kInt4;
  int64_t out_features = 0;  // N
  int64_t in_features = 0;   // K
  int64_t group_size = 0;    // packed columns per scale column
  int64_t scale_block_rows = 1;
  tensor::DType dequant_dtype = tensor::DType::kF32;  // the checkpoint's scale dtype

  std::vector<uint8_t> codes;             // [N, code_row_bytes] when owned
  const std::byte* file_codes = nullptr;  // [N, code_row_bytes] inside the mapped checkpoint; not owned
  int64_t code_row_bytes = 0;             // bytes from one row's codes to the next (>= the packed row size)
  std::vector<float> scales;              // [ceil(N / scale_block_rows), num_groups()]
  std::vector<uint8_t> zeros;             // [N, num_groups()] unsigned zero points; empty when symmetric
  std::vector<int32_t> column_order;      // [K] input column of each packed column; empty for the identity
  std::string description;                // "compressed-tensors int4 group 32 asymmetric", for messages

  int64_t num_groups() const {
    return group_size > 0 ? in_features / group_size + (in_features % group_size != 0 ? 1 : 0) : 0;
  }
  // Bytes of the packed codes of one row (without padding).
  int64_t packed_row_bytes() const;
  const std::byte* codes_data() const {
    return file_codes != nullptr ? file_codes : reinterpret_cast<const std::byte*>(codes.data());
  }
};

// Unsigned code of packed column col_idx of row row_idx (int formats) / the fp8 byte (kFp8).
uint32_t code_at(const RepackedLinear& linear, int64_t row_idx, int64_t col_idx);

}  // namespace fovea::quant
