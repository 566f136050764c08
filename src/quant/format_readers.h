// The readers of each quantized checkpoint format: check one Linear's tensors against the config and each other,
// then convert them into a RepackedLinear (spec §6, docs/QUANT.md). Errors name the tensor and what is wrong.
// Must not contain device code or format detection (linear_format.h decides which reader runs).
#pragma once

#include "base/status.h"
#include "io/quantization_config.h"
#include "quant/linear_tensors.h"
#include "quant/repacked_linear.h"

namespace fovea::quant {

// compressed-tensors pack-quantized int4 / int8, group or channel strategy, symmetric or asymmetric, g_idx.
base::Result<RepackedLinear> read_compressed_int(const LinearTensors& tensors, const io::QuantizationConfig& config);
// compressed-tensors float-quantized FP8 (channel, tensor, group or block scales).
base::Result<RepackedLinear> read_compressed_float(const LinearTensors& tensors, const io::QuantizationConfig& config);
// AutoAWQ GEMM int4 (interleaved nibbles along the output dim, zero points without offset).
base::Result<RepackedLinear> read_awq_gemm(const LinearTensors& tensors, const io::QuantizationConfig& config);
// GPTQ int4 / int8, v1 zero points (stored minus one) or gptq_v2, g_idx with act-order.
base::Result<RepackedLinear> read_gptq(const LinearTensors& tensors, const io::QuantizationConfig& config);
// quant_method "fp8": F8_E4M3 weight with weight_scale_inv per block (or per tensor).
base::Result<RepackedLinear> read_fp8_block(const LinearTensors& tensors, const io::QuantizationConfig& config);

// Shared by the int readers: makes the groups of a g_idx contiguous. Sets linear.column_order (left empty when
// g_idx[k] == k / group_size already) after checking every entry is in [0, num_groups) and every group but the last
// has exactly group_size columns.
base::Status apply_g_idx(const LinearTensors& tensors, std::string_view suffix, const tensor::TensorView& g_idx,
                         RepackedLinear& linear);

// Owned codes of `linear` (format, sizes set) from code(n, k) for every row n and input column k; packed columns
// follow linear.column_order when it is set.
template <typename CodeFn>
void fill_codes(RepackedLinear& linear, CodeFn&& code) {
  linear.file_codes = nullptr;
  linear.code_row_bytes = linear.packed_row_bytes();
  linear.codes.assign(static_cast<size_t>(linear.out_features * linear.code_row_bytes), 0);
  const bool reorder = !linear.column_order.empty();
  for (int64_t row_idx = 0; row_idx < linear.out_features; ++row_idx) {
    uint8_t* row = linear.codes.data() + row_idx * linear.code_row_bytes;
    for (int64_t col_idx = 0; col_idx < linear.in_features; ++col_idx) {
      const int64_t source = reorder ? linear.column_order[static_cast<size_t>(col_idx)] : col_idx;
      const uint32_t value = code(row_idx, source);
      if (linear.format == backend::WeightFormat::kInt4) {
        row[col_idx / 2] = static_cast<uint8_t>(row[col_idx / 2] | ((value & 0xfu) << (4 * (col_idx % 2))));
      } else {
        row[col_idx] = static_cast<uint8_t>(value);
      }
    }
  }
}

}  // namespace fovea::quant
