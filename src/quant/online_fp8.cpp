// quantize_fp8_per_tensor: amax over the tensor, scale = amax / 448, codes = saturate_fp8(w / scale) rounded to
// nearest even (torch's float -> float8_e4m3fn), the arithmetic vLLM's dynamic per-tensor quantization does.
#include "quant/online_fp8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/float_convert.h"

namespace fovea::quant {
namespace {

constexpr float kFp8E4m3Max = 448.0f;
// An all-zero tensor would give scale 0 and NaN codes; vLLM's dynamic quantization floors scales at 1 / (448 * 512).
constexpr float kMinScale = 1.0f / (kFp8E4m3Max * 512.0f);

std::vector<float> to_floats(const tensor::TensorView& weight) {
  const size_t num_elements = static_cast<size_t>(weight.numel());
  std::vector<float> values(num_elements);
  switch (weight.dtype) {
    case tensor::DType::kF32:
      std::memcpy(values.data(), weight.data, num_elements * sizeof(float));
      break;
    case tensor::DType::kBF16:
      for (size_t i = 0; i < num_elements; ++i) values[i] = tensor::bf16_to_float(weight.as<uint16_t>()[i]);
      break;
    default:  // kF16, checked by the caller
      for (size_t i = 0; i < num_elements; ++i) values[i] = tensor::f16_to_float(weight.as<uint16_t>()[i]);
      break;
  }
  return values;
}

}  // namespace

base::Result<RepackedLinear> quantize_fp8_per_tensor(const tensor::TensorView& weight, std::string_view name) {
  if (weight.shape.rank() != 2) {
    return base::data_loss("tensor {} has shape {}; a Linear weight must be [out_features, in_features]", name,
                           weight.shape.to_string());
  }
  if (weight.dtype != tensor::DType::kBF16 && weight.dtype != tensor::DType::kF16 &&
      weight.dtype != tensor::DType::kF32) {
    return base::unsupported("tensor {} is {}; --quantization fp8 quantizes bf16, f16 or f32 weights", name,
                             tensor::dtype_name(weight.dtype));
  }
  const std::vector<float> values = to_floats(weight);
  float amax = 0.0f;
  for (float value : values) amax = std::max(amax, std::fabs(value));
  if (!std::isfinite(amax)) {
    return base::data_loss("tensor {} holds NaN or infinite values; it cannot be quantized to fp8", name);
  }
  const float scale = std::max(amax / kFp8E4m3Max, kMinScale);

  RepackedLinear linear;
  linear.format = backend::WeightFormat::kFp8;
  linear.out_features = weight.shape[0];
  linear.in_features = weight.shape[1];
  linear.group_size = linear.in_features;        // one scale for the whole tensor: one group per row ...
  linear.scale_block_rows = linear.out_features;  // ... and one block of all rows
  linear.dequant_dtype = tensor::DType::kF32;
  linear.scales = {scale};
  linear.codes.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) linear.codes[i] = tensor::float_to_f8e4m3(values[i] / scale);
  linear.code_row_bytes = linear.in_features;
  linear.description = "fp8 e4m3 per tensor, quantized at load time (--quantization fp8)";
  return linear;
}

}  // namespace fovea::quant
