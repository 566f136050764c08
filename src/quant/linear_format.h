// LinearFormat: how one Linear module is stored in a checkpoint, decided from which tensors exist and their dtypes
// (spec §6's rule) and checked against config.json's quantization_config. Must not read tensor data.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "io/quantization_config.h"
#include "quant/tensor_lookup.h"

namespace fovea::quant {

enum class LinearFormat : uint8_t {
  kDense,            // <m>.weight bf16 / f16 / f32
  kCompressedInt,    // compressed-tensors pack-quantized: <m>.weight_packed i32, weight_scale, weight_shape, ...
  kCompressedFloat,  // compressed-tensors float-quantized: <m>.weight f8e4m3 + <m>.weight_scale
  kAwqGemm,          // AutoAWQ GEMM: <m>.qweight [K, N/8], qzeros, scales
  kGptq,             // GPTQ: <m>.qweight [K*bits/32, N], qzeros, scales, g_idx
  kFp8Block,         // quant_method "fp8" (Qwen's FP8): <m>.weight f8e4m3 + <m>.weight_scale_inv
};

// "dense", "compressed-tensors int", "compressed-tensors fp8", "awq-gemm", "gptq", "fp8-block".
std::string_view linear_format_name(LinearFormat format);

// The format of Linear `module_name` ("model.layers.0.mlp.up_proj"). Errors: no weight tensor at all (NotFound);
// quantized tensors without a quantization_config, or of another method than the config names, or in a module the
// compressed-tensors ignore list names (DataLoss); formats fovea does not load (Unsupported).
base::Result<LinearFormat> detect_linear_format(const TensorLookup& lookup, std::string_view module_name,
                                                const io::QuantizationConfig* config);

}  // namespace fovea::quant
