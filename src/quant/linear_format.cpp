// Per-module format detection from tensor names and dtypes, checked against the quantization_config.
#include "quant/linear_format.h"

#include <string>

#include "quant/module_match.h"

namespace fovea::quant {
namespace {

// The method a format belongs to, for comparing with the config.
io::QuantMethod method_of(LinearFormat format) {
  switch (format) {
    case LinearFormat::kCompressedInt:
    case LinearFormat::kCompressedFloat:
      return io::QuantMethod::kCompressedTensors;
    case LinearFormat::kAwqGemm:
      return io::QuantMethod::kAwq;
    case LinearFormat::kGptq:
      return io::QuantMethod::kGptq;
    case LinearFormat::kFp8Block:
      return io::QuantMethod::kFp8;
    case LinearFormat::kDense:
      break;
  }
  return io::QuantMethod::kOther;
}

base::Status check_against_config(LinearFormat format, std::string_view evidence, std::string_view module_name,
                                  const io::QuantizationConfig* config) {
  const io::QuantMethod method = method_of(format);
  if (config == nullptr) {
    return base::data_loss(
        "{} is stored as {} ({}), but config.json has no quantization_config; restore "
        "config.json from the original checkpoint",
        module_name, quant_method_name(method), evidence);
  }
  if (config->method != method) {
    return base::data_loss(
        "{} is stored as {} ({}), but config.json's quantization_config says quant_method \"{}\"; "
        "the checkpoint mixes formats, re-download or re-export it",
        module_name, quant_method_name(method), evidence, config->quant_method);
  }
  if (method == io::QuantMethod::kCompressedTensors && module_is_ignored(*config, module_name)) {
    return base::data_loss(
        "{} is stored quantized ({}), but quantization_config's ignore list names it; the "
        "checkpoint and its config.json disagree, re-download or re-export it",
        module_name, evidence);
  }
  return base::Status();
}

}  // namespace

std::string_view linear_format_name(LinearFormat format) {
  switch (format) {
    case LinearFormat::kDense:
      return "dense";
    case LinearFormat::kCompressedInt:
      return "compressed-tensors int";
    case LinearFormat::kCompressedFloat:
      return "compressed-tensors fp8";
    case LinearFormat::kAwqGemm:
      return "awq-gemm";
    case LinearFormat::kGptq:
      return "gptq";
    case LinearFormat::kFp8Block:
      return "fp8-block";
  }
  return "dense";
}

base::Result<LinearFormat> detect_linear_format(const TensorLookup& lookup, std::string_view module_name,
                                                const io::QuantizationConfig* config) {
  const std::string prefix = std::string(module_name) + ".";
  auto has = [&](std::string_view suffix) { return lookup.find(prefix + std::string(suffix)) != nullptr; };
  if (has("weight_packed")) {
    FOVEA_RETURN_IF_ERROR(check_against_config(LinearFormat::kCompressedInt, "weight_packed", module_name, config));
    return LinearFormat::kCompressedInt;
  }
  if (has("qweight")) {
    if (config == nullptr || (config->method != io::QuantMethod::kAwq && config->method != io::QuantMethod::kGptq)) {
      // qweight alone does not tell AWQ from GPTQ: g_idx is GPTQ's.
      const LinearFormat guess = has("g_idx") ? LinearFormat::kGptq : LinearFormat::kAwqGemm;
      FOVEA_RETURN_IF_ERROR(check_against_config(guess, "qweight", module_name, config));
    }
    return config->method == io::QuantMethod::kAwq ? LinearFormat::kAwqGemm : LinearFormat::kGptq;
  }
  const tensor::TensorView* weight = lookup.find(prefix + "weight");
  if (weight == nullptr) {
    return base::not_found(
        "the checkpoint has no weight for {} (none of {}weight, {}weight_packed, {}qweight); "
        "check that the folder holds this model's complete weights",
        module_name, prefix, prefix, prefix);
  }
  switch (weight->dtype) {
    case tensor::DType::kBF16:
    case tensor::DType::kF16:
    case tensor::DType::kF32:
      return LinearFormat::kDense;
    case tensor::DType::kF8E4M3:
      if (has("weight_scale_inv")) {
        FOVEA_RETURN_IF_ERROR(check_against_config(LinearFormat::kFp8Block, "weight_scale_inv", module_name, config));
        return LinearFormat::kFp8Block;
      }
      if (has("weight_scale")) {
        FOVEA_RETURN_IF_ERROR(check_against_config(LinearFormat::kCompressedFloat,
                                                   "F8_E4M3 weight with "
                                                   "weight_scale",
                                                   module_name, config));
        return LinearFormat::kCompressedFloat;
      }
      return base::data_loss(
          "{}weight is F8_E4M3 but neither {}weight_scale_inv nor {}weight_scale exists; an FP8 "
          "weight cannot be used without its scales, re-download the checkpoint",
          prefix, prefix, prefix);
    default:
      return base::unsupported(
          "{}weight is {}; fovea loads Linear weights as bf16/f16/f32, F8_E4M3 with scales, "
          "or packed int4/int8 (compressed-tensors int-quantized W8A8 and other formats are "
          "not supported)",
          prefix, tensor::dtype_name(weight->dtype));
  }
}

}  // namespace fovea::quant
