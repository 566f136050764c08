// --quantization values: vLLM's QUANTIZATION_METHODS names, and which of them run which checkpoint method.
#include "quant/quantization_flag.h"

#include <array>
#include <string>

namespace fovea::quant {
namespace {

struct FlagValue {
  std::string_view name;
  io::QuantMethod method;  // the checkpoint method this value loads in fovea; kOther: not supported by fovea
};

// vLLM's values; the compatible kernels of a method map to it (vLLM upgrades awq to awq_marlin and gptq to
// gptq_marlin by itself, and accepts them for checkpoints of the base method).
constexpr std::array<FlagValue, 30> kFlagValues = {{
    {"awq", io::QuantMethod::kAwq},
    {"awq_marlin", io::QuantMethod::kAwq},
    {"awq_triton", io::QuantMethod::kAwq},
    {"gptq", io::QuantMethod::kGptq},
    {"gptq_marlin", io::QuantMethod::kGptq},
    {"gptq_bitblas", io::QuantMethod::kGptq},
    {"gptq_marlin_24", io::QuantMethod::kOther},
    {"compressed-tensors", io::QuantMethod::kCompressedTensors},
    {"fp8", io::QuantMethod::kFp8},
    {"fbgemm_fp8", io::QuantMethod::kOther},
    {"ptpc_fp8", io::QuantMethod::kOther},
    {"modelopt", io::QuantMethod::kOther},
    {"modelopt_fp4", io::QuantMethod::kOther},
    {"bitsandbytes", io::QuantMethod::kOther},
    {"gguf", io::QuantMethod::kOther},
    {"marlin", io::QuantMethod::kOther},
    {"bitblas", io::QuantMethod::kOther},
    {"experts_int8", io::QuantMethod::kOther},
    {"moe_wna16", io::QuantMethod::kOther},
    {"deepspeedfp", io::QuantMethod::kOther},
    {"tpu_int8", io::QuantMethod::kOther},
    {"quark", io::QuantMethod::kOther},
    {"torchao", io::QuantMethod::kOther},
    {"inc", io::QuantMethod::kOther},
    {"auto-round", io::QuantMethod::kOther},
    {"rtn", io::QuantMethod::kOther},
    {"hqq", io::QuantMethod::kOther},
    {"mxfp4", io::QuantMethod::kOther},
    {"fp_quant", io::QuantMethod::kOther},
    {"ipex", io::QuantMethod::kOther},
}};

const FlagValue* find_value(std::string_view flag) {
  for (const FlagValue& value : kFlagValues) {
    if (value.name == flag) return &value;
  }
  return nullptr;
}

std::string supported_values() {
  return "awq, awq_marlin, awq_triton, gptq, gptq_marlin, gptq_bitblas, "
         "compressed-tensors, fp8";
}

// What to pass for a checkpoint of `method`.
std::string_view value_for(io::QuantMethod method) {
  switch (method) {
    case io::QuantMethod::kAwq:
      return "awq (or awq_marlin)";
    case io::QuantMethod::kGptq:
      return "gptq (or gptq_marlin)";
    case io::QuantMethod::kCompressedTensors:
      return "compressed-tensors";
    case io::QuantMethod::kFp8:
      return "fp8";
    case io::QuantMethod::kOther:
      break;
  }
  return "nothing";
}

}  // namespace

bool quantizes_online_to_fp8(const io::QuantizationConfig* config, std::string_view flag) {
  const FlagValue* value = find_value(flag);
  return config == nullptr && value != nullptr && value->method == io::QuantMethod::kFp8;
}

base::Status check_quantization_flag(const io::QuantizationConfig* config, std::string_view flag) {
  if (flag.empty() || flag == "None" || flag == "none") return base::Status();
  const FlagValue* value = find_value(flag);
  if (value == nullptr) {
    std::string all;
    for (const FlagValue& known : kFlagValues) all += (all.empty() ? "" : ", ") + std::string(known.name);
    return base::invalid_argument(
        "--quantization {} is not a quantization method; vLLM's methods are {} (fovea "
        "loads {}); or leave the flag out to use the checkpoint's own",
        flag, all, supported_values());
  }
  if (config == nullptr) {
    // vLLM's online quantization: fovea does it for fp8 (weights per tensor at load time), as the planner assumes.
    if (value->method == io::QuantMethod::kFp8) return base::Status();
    return base::unsupported(
        "--quantization {} asks to quantize an unquantized checkpoint at load time, which "
        "fovea does only for fp8; pass --quantization fp8, leave the flag out, or serve a checkpoint already "
        "quantized with that method",
        flag);
  }
  if (config->method == io::QuantMethod::kOther) {
    return base::unsupported(
        "this checkpoint's quant_method \"{}\" is not supported by fovea (it loads {}), "
        "whatever --quantization says",
        config->quant_method, supported_values());
  }
  if (value->method == io::QuantMethod::kOther) {
    return base::unsupported(
        "--quantization {} is not supported by fovea; this checkpoint is {} ({}): pass {} or "
        "leave the flag out",
        flag, config->quant_method, config->describe(), value_for(config->method));
  }
  if (config->method != value->method) {
    return base::invalid_argument(
        "--quantization {} contradicts the checkpoint, whose config.json says "
        "quant_method \"{}\" ({}); pass {} or leave the flag out",
        flag, config->quant_method, config->describe(), value_for(config->method));
  }
  return base::Status();
}

}  // namespace fovea::quant
