// QuantizationConfig: what config.json's quantization_config (or GPTQ's quantize_config.json) says about the
// weight format: method, bits, group size, symmetry, strategy, act-order, ignore list, format (spec §6).
// It only describes; deciding per tensor what to load is quant/'s job. Must not contain dequantization.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::io {

enum class QuantMethod {
  kCompressedTensors,  // "compressed-tensors" (llm-compressor), e.g. pack-quantized W4A16
  kAwq,                // "awq" (AutoAWQ GEMM/GEMV)
  kGptq,               // "gptq" (AutoGPTQ / GPTQModel)
  kFp8,                // "fp8" (Qwen's official block-wise FP8)
  kOther,              // anything else: recorded by name, not supported
};

std::string_view quant_method_name(QuantMethod method);

// One compressed-tensors config group ("group_0": {targets, weights, input_activations}).
struct QuantizationGroup {
  std::string name;
  std::vector<std::string> targets;  // module class names ("Linear") or names / "re:<regex>"
  int64_t num_bits = 0;              // weights.num_bits; 0 when the group quantizes no weights
  std::string type;                  // weights.type: "int" or "float"
  bool symmetric = true;
  std::string strategy;  // "group", "channel", "tensor", "block", ...
  int64_t group_size = -1;
  std::string actorder;                   // "", "group", "weight", "static"
  std::vector<int64_t> block_structure;   // for strategy "block"
  std::optional<int64_t> input_num_bits;  // input_activations.num_bits when activations are quantized
  std::optional<bool> input_dynamic;      // input_activations.dynamic
  std::string format;                     // a per-group format, when the group names one
};

struct QuantizationConfig {
  QuantMethod method = QuantMethod::kOther;
  std::string quant_method;  // as written in the file
  std::string source_file;   // "config.json" or "quantize_config.json"

  // The weight scheme (for compressed-tensors: of the first group that quantizes weights).
  int64_t bits = 0;
  int64_t group_size = -1;          // -1: one group per output channel (or not grouped)
  std::optional<bool> symmetric;    // AWQ: !zero_point; GPTQ: sym; unknown for FP8
  std::string strategy;             // compressed-tensors strategy; "group"/"channel" derived for AWQ/GPTQ; "block" FP8
  std::string actorder;             // compressed-tensors actorder; "desc_act" for GPTQ with desc_act true; "" none
  std::string format;               // CT format ("pack-quantized"), AWQ version ("gemm"), GPTQ checkpoint_format
                                    // ("gptq", "gptq_v2"), FP8 fmt ("e4m3")
  std::string weight_type = "int";  // "int" or "float"
  std::vector<int64_t> weight_block_size;  // FP8 [128, 128]; empty when not block-wise
  std::string activation_scheme;           // FP8 "dynamic"/"static"; CT: "dynamic"/"static" if inputs quantized
  std::optional<int64_t> input_activation_bits;
  std::string quantization_status;  // CT "compressed" / "frozen"
  // Modules kept unquantized: CT `ignore`, AWQ/FP8/GPTQ `modules_to_not_convert`. Entries starting with "re:" are
  // regular expressions (Python re.match semantics), the rest module names.
  std::vector<std::string> ignore;
  std::vector<QuantizationGroup> groups;  // compressed-tensors config_groups, sorted by name

  // "compressed-tensors pack-quantized int4 group 128 symmetric" and the like.
  std::string describe() const;
};

// Parses a quantization_config object given as JSON text; `source_file` names where it came from in messages and
// in the result. quantize_config.json (GPTQ) has no quant_method: pass assume_gptq for it.
base::Result<QuantizationConfig> parse_quantization_config(std::string_view json_text, std::string_view source_file,
                                                           bool assume_gptq = false);

}  // namespace fovea::io
