// Quantized weights on the CPU: field checks and the element-by-element dequantisation.
#include "backend/cpu/quant_dequant.h"

#include <cstring>

#include "backend/cpu/element_io.h"
#include "backend/cpu/tensor_access.h"
#include "backend/op_checks.h"
#include "base/check.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};

int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

tensor::DType code_dtype(WeightFormat format) {
  switch (format) {
    case WeightFormat::kInt4:
      return tensor::DType::kI32;
    case WeightFormat::kInt8:
      return tensor::DType::kU8;
    default:
      return tensor::DType::kF8E4M3;
  }
}

base::Status check_param(std::string_view op, std::string_view name, const Tensor& t, tensor::DType dtype,
                         const tensor::Shape& shape) {
  FOVEA_RETURN_IF_ERROR(check_view(op, name, t, kCpu));
  if (t.dtype != dtype || t.shape != shape) {
    return base::invalid_argument("{}: quantized weight {} is {} {} but must be {} {}", op, name,
                                  tensor::dtype_name(t.dtype), t.shape.to_string(), tensor::dtype_name(dtype),
                                  shape.to_string());
  }
  return base::Status();
}

uint32_t load_u32(const std::byte* p) {
  uint32_t value = 0;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

// The unsigned code of packed column col_idx of row row_idx (int formats).
int32_t int_code(const Weight& w, int64_t row_idx, int64_t col_idx) {
  if (w.format == WeightFormat::kInt4) {
    const uint32_t word = load_u32(element_at(w.values, row_idx, col_idx / 8));
    return static_cast<int32_t>((word >> (4 * (col_idx % 8))) & 0xfu);
  }
  return static_cast<int32_t>(static_cast<uint8_t>(*element_at(w.values, row_idx, col_idx)));
}

}  // namespace

base::Status check_quantized_weight(std::string_view op, const Weight& w) {
  const QuantParams& q = w.quant;
  if (w.format != WeightFormat::kInt4 && w.format != WeightFormat::kInt8 && w.format != WeightFormat::kFp8) {
    return base::unsupported("{}: weight format {} has no CPU kernel", op, static_cast<int>(w.format));
  }
  FOVEA_RETURN_IF_ERROR(check_view(op, "weight", w.values, kCpu));
  if (w.values.rank() != 2 || q.in_features < 0 || q.group_size < 1 || q.scale_block_rows < 1) {
    return base::invalid_argument(
        "{}: quantized weight has values {}, in_features {}, group_size {}, scale_block_rows {}; values must be "
        "rank 2 and the sizes positive",
        op, w.values.shape.to_string(), q.in_features, q.group_size, q.scale_block_rows);
  }
  const int64_t num_out = w.values.dim(0);
  const int64_t num_in = q.in_features;
  const int64_t packed_cols = w.format == WeightFormat::kInt4 ? ceil_div(num_in, 8) : num_in;
  FOVEA_RETURN_IF_ERROR(
      check_param(op, "values", w.values, code_dtype(w.format), tensor::Shape({num_out, packed_cols})));
  if (q.dequant_dtype != tensor::DType::kBF16 && q.dequant_dtype != tensor::DType::kF16 &&
      q.dequant_dtype != tensor::DType::kF32) {
    return base::invalid_argument("{}: a quantized weight's dequant_dtype must be bf16, f16 or f32, not {}", op,
                                  tensor::dtype_name(q.dequant_dtype));
  }
  const int64_t num_groups = ceil_div(num_in, q.group_size);
  FOVEA_RETURN_IF_ERROR(check_param(op, "scales", q.scales, tensor::DType::kF32,
                                    tensor::Shape({ceil_div(num_out, q.scale_block_rows), num_groups})));
  if (q.has_zeros()) {
    if (w.format == WeightFormat::kFp8) return base::invalid_argument("{}: an fp8 weight has no zero points", op);
    FOVEA_RETURN_IF_ERROR(check_param(op, "zeros", q.zeros, tensor::DType::kU8, tensor::Shape({num_out, num_groups})));
    if (q.scale_block_rows != 1) {
      return base::invalid_argument("{}: zero points need one scale row per weight row, not {}", op,
                                    q.scale_block_rows);
    }
  }
  if (q.has_column_order()) {
    FOVEA_RETURN_IF_ERROR(
        check_param(op, "column_order", q.column_order, tensor::DType::kI32, tensor::Shape({num_in})));
    for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) {
      const int32_t source = load_i32(element_at(q.column_order, col_idx, 0));
      if (source < 0 || source >= num_in) {
        return base::invalid_argument("{}: column_order[{}] = {} is outside [0, {})", op, col_idx, source, num_in);
      }
    }
  }
  return base::Status();
}

base::Status check_quantized_linear(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  constexpr std::string_view kOp = "linear";
  FOVEA_RETURN_IF_ERROR(check_quantized_weight(kOp, w));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, kCpu));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "y", y, kCpu));
  if (x.rank() != 2 || !is_activation_dtype(x.dtype)) {
    return base::invalid_argument("linear: x must be [M, K] f32 / bf16 / f16 but is {} {}", tensor::dtype_name(x.dtype),
                                  x.shape.to_string());
  }
  if (x.dim(1) != w.in_features()) {
    return base::invalid_argument("linear: x has {} features but the quantized weight expects {}", x.dim(1),
                                  w.in_features());
  }
  if (y.buffer->read_only()) return base::invalid_argument("linear: y lies in a read-only buffer");
  FOVEA_RETURN_IF_ERROR(check_linear_output_dtype(x, y));
  if (y.shape != tensor::Shape({x.dim(0), w.out_features()})) {
    return base::invalid_argument("linear: y has shape {} but must be [{}, {}]", y.shape.to_string(), x.dim(0),
                                  w.out_features());
  }
  if (bias != nullptr) {
    FOVEA_RETURN_IF_ERROR(check_view(kOp, "bias", *bias, kCpu));
    if (bias->shape != tensor::Shape({w.out_features()}) || !is_activation_dtype(bias->dtype)) {
      return base::invalid_argument("linear: bias is {} {} but must be [{}] bf16 / f16 / f32",
                                    tensor::dtype_name(bias->dtype), bias->shape.to_string(), w.out_features());
    }
    if (views_overlap(y, *bias)) return base::invalid_argument("linear: y overlaps bias; pass disjoint memory");
  }
  const QuantParams& q = w.quant;
  for (const Tensor* input : {&x, &w.values, &q.scales, &q.zeros, &q.column_order}) {
    if (input->buffer != nullptr && views_overlap(y, *input)) {
      return base::invalid_argument("linear: y overlaps an input; pass disjoint memory");
    }
  }
  return base::Status();
}

float dequantize_element(const Weight& w, int64_t row_idx, int64_t col_idx) {
  const QuantParams& q = w.quant;
  const int64_t group_idx = col_idx / q.group_size;
  const float scale = load_float(element_at(q.scales, row_idx / q.scale_block_rows, group_idx), tensor::DType::kF32);
  float code = 0.0f;
  if (w.format == WeightFormat::kFp8) {
    code = f8e4m3_table_lookup(static_cast<uint8_t>(*element_at(w.values, row_idx, col_idx)));
  } else {
    const int32_t zero = q.has_zeros()
                             ? static_cast<int32_t>(static_cast<uint8_t>(*element_at(q.zeros, row_idx, group_idx)))
                         : w.format == WeightFormat::kInt4 ? 8
                                                           : 128;
    code = static_cast<float>(int_code(w, row_idx, col_idx) - zero);
  }
  return round_to(q.dequant_dtype, code * scale);
}

void dequantize_row_portable(const Weight& w, int64_t row_idx, int64_t col_begin, int64_t col_end, float* out) {
  for (int64_t col_idx = col_begin; col_idx < col_end; ++col_idx) {
    out[col_idx - col_begin] = dequantize_element(w, row_idx, col_idx);
  }
}

void dequantize_matrix(const Weight& w, float* out) {
  FOVEA_CHECK(w.is_quantized(), "dequantize_matrix needs a quantized weight");
  const int64_t num_in = w.in_features();
  for (int64_t row_idx = 0; row_idx < w.out_features(); ++row_idx) {
    for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) {
      const int64_t source =
          w.quant.has_column_order() ? load_i32(element_at(w.quant.column_order, col_idx, 0)) : col_idx;
      out[row_idx * num_in + source] = dequantize_element(w, row_idx, col_idx);
    }
  }
}

}  // namespace fovea::backend::cpu
