// The --quantization flag (vLLM's name and values) checked against what the checkpoint's quantization_config says.
// fovea always loads the checkpoint's own method; the flag may name it, or a vLLM kernel family for it (awq_marlin
// for awq, gptq_marlin for gptq, ...), or be empty. Must not read tensors.
#pragma once

#include <string_view>

#include "base/status.h"
#include "io/quantization_config.h"

namespace fovea::quant {

// OK when `flag` (empty = not given) agrees with `config` (nullptr = unquantized checkpoint). Otherwise an error
// naming the checkpoint's method and what to pass instead: a method that contradicts the checkpoint, online
// quantization of an unquantized checkpoint (not supported), or a value vLLM does not know (listing the known ones).
base::Status check_quantization_flag(const io::QuantizationConfig* config, std::string_view flag);

// Whether `flag` asks for vLLM's online FP8 on an unquantized checkpoint (config nullptr): its Linears are then
// quantized at load time (load_linear_fp8_online).
bool quantizes_online_to_fp8(const io::QuantizationConfig* config, std::string_view flag);

}  // namespace fovea::quant
