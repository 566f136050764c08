// vLLM's online FP8 (`--quantization fp8` on an unquantized checkpoint): a dense Linear weight becomes
// float8_e4m3fn codes with one f32 scale for the whole tensor, amax / 448, quantized once at load time.
// Must not contain checkpoint-format detection (linear_format) or device code.
#pragma once

#include <string_view>

#include "base/status.h"
#include "quant/repacked_linear.h"
#include "tensor/tensor_view.h"

namespace fovea::quant {

// `weight` is [out_features, in_features] bf16, f16 or f32; `name` names it in errors.
base::Result<RepackedLinear> quantize_fp8_per_tensor(const tensor::TensorView& weight, std::string_view name);

}  // namespace fovea::quant
