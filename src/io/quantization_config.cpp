// quantization_config parsing for compressed-tensors, AWQ, GPTQ and FP8 (spec §6).
#include "io/quantization_config.h"

#include <algorithm>

#include "io/json_reader.h"

namespace fovea::io {
namespace {

using nlohmann::json;

QuantMethod method_from_name(std::string_view name) {
  if (name == "compressed-tensors" || name == "compressed_tensors") return QuantMethod::kCompressedTensors;
  if (name == "awq") return QuantMethod::kAwq;
  if (name == "gptq") return QuantMethod::kGptq;
  if (name == "fp8") return QuantMethod::kFp8;
  return QuantMethod::kOther;
}

// compressed-tensors wrote actorder as a bool in early versions (true meaning "group").
void read_actorder(const JsonReader& reader, const json& object, std::string& out) {
  if (!reader.has(object, "actorder")) return;
  const json& value = object.at("actorder");
  if (value.is_boolean()) {
    out = value.get<bool>() ? "group" : "";
    return;
  }
  reader.read(object, "actorder", out);
}

void check_bits_and_group(const JsonReader& reader, int64_t bits, int64_t group_size, std::string_view bits_key,
                          std::string_view group_key) {
  if (bits < 1 || bits > 32) reader.fail(bits_key, fmt::format("must be between 1 and 32 but is {}", bits));
  if (group_size == 0 || group_size < -1) {
    reader.fail(group_key, fmt::format("must be -1 (per channel) or positive but is {}", group_size));
  }
}

void parse_compressed_tensors(const JsonReader& reader, const json& object, QuantizationConfig& config) {
  reader.read(object, "format", config.format);
  reader.read(object, "quantization_status", config.quantization_status);
  reader.read(object, "ignore", config.ignore);
  if (!reader.has(object, "config_groups")) return;
  const json& groups = object.at("config_groups");
  JsonReader groups_reader = reader.child("config_groups");
  if (!groups.is_object()) {
    reader.fail("config_groups", "must be an object of named groups but is " + json_type_phrase(groups));
    return;
  }
  for (const auto& [group_name, group_json] : groups.items()) {
    JsonReader group_reader = groups_reader.child(group_name);
    if (!group_json.is_object()) {
      groups_reader.fail(group_name, "must be an object but is " + json_type_phrase(group_json));
      return;
    }
    QuantizationGroup group;
    group.name = group_name;
    group_reader.read(group_json, "targets", group.targets);
    group_reader.read(group_json, "format", group.format);
    if (group_reader.has(group_json, "weights")) {
      const json& weights = group_json.at("weights");
      JsonReader weights_reader = group_reader.child("weights");
      if (!weights.is_object()) {
        group_reader.fail("weights", "must be an object or null but is " + json_type_phrase(weights));
        return;
      }
      group.num_bits = 8;  // compressed-tensors QuantizationArgs default
      group.type = "int";
      weights_reader.read(weights, "num_bits", group.num_bits);
      weights_reader.read(weights, "type", group.type);
      weights_reader.read(weights, "symmetric", group.symmetric);
      weights_reader.read(weights, "strategy", group.strategy);
      weights_reader.read(weights, "group_size", group.group_size);
      weights_reader.read(weights, "block_structure", group.block_structure);
      read_actorder(weights_reader, weights, group.actorder);
      check_bits_and_group(weights_reader, group.num_bits, group.group_size, "num_bits", "group_size");
    }
    if (group_reader.has(group_json, "input_activations")) {
      const json& inputs = group_json.at("input_activations");
      JsonReader inputs_reader = group_reader.child("input_activations");
      if (!inputs.is_object()) {
        group_reader.fail("input_activations", "must be an object or null but is " + json_type_phrase(inputs));
        return;
      }
      int64_t input_bits = 8;
      bool dynamic = false;
      inputs_reader.read(inputs, "num_bits", input_bits);
      inputs_reader.read(inputs, "dynamic", dynamic);
      group.input_num_bits = input_bits;
      group.input_dynamic = dynamic;
    }
    config.groups.push_back(std::move(group));
  }
  // The summary describes the first group that quantizes weights (groups come sorted by name).
  auto first = std::find_if(config.groups.begin(), config.groups.end(),
                            [](const QuantizationGroup& group) { return group.num_bits > 0; });
  if (first == config.groups.end()) return;
  config.bits = first->num_bits;
  config.group_size = first->group_size;
  config.symmetric = first->symmetric;
  config.strategy = first->strategy;
  config.actorder = first->actorder;
  config.weight_type = first->type;
  if (config.format.empty()) config.format = first->format;
  if (first->input_num_bits) {
    config.input_activation_bits = first->input_num_bits;
    config.activation_scheme = first->input_dynamic.value_or(false) ? "dynamic" : "static";
  }
}

void parse_awq(const JsonReader& reader, const json& object, QuantizationConfig& config) {
  config.bits = 4;
  config.group_size = 128;
  bool zero_point = true;
  config.format = "gemm";
  // AutoAWQ's own names (w_bit, q_group_size) are read too, as vLLM does.
  reader.read(object, "w_bit", config.bits);
  reader.read(object, "bits", config.bits);
  reader.read(object, "q_group_size", config.group_size);
  reader.read(object, "group_size", config.group_size);
  reader.read(object, "zero_point", zero_point);
  reader.read(object, "version", config.format);
  reader.read(object, "modules_to_not_convert", config.ignore);
  config.symmetric = !zero_point;
  config.strategy = config.group_size == -1 ? "channel" : "group";
  check_bits_and_group(reader, config.bits, config.group_size, "bits", "group_size");
}

void parse_gptq(const JsonReader& reader, const json& object, QuantizationConfig& config) {
  config.bits = 4;
  config.group_size = 128;
  bool symmetric = true;
  bool desc_act = false;
  config.format = "gptq";
  reader.read(object, "bits", config.bits);
  reader.read(object, "group_size", config.group_size);
  reader.read(object, "sym", symmetric);
  reader.read(object, "desc_act", desc_act);
  reader.read(object, "checkpoint_format", config.format);
  reader.read(object, "modules_to_not_convert", config.ignore);
  config.symmetric = symmetric;
  config.actorder = desc_act ? "desc_act" : "";
  config.strategy = config.group_size == -1 ? "channel" : "group";
  check_bits_and_group(reader, config.bits, config.group_size, "bits", "group_size");
}

void parse_fp8(const JsonReader& reader, const json& object, QuantizationConfig& config) {
  config.bits = 8;
  config.weight_type = "float";
  config.format = "e4m3";
  config.activation_scheme = "dynamic";
  reader.read(object, "fmt", config.format);
  reader.read(object, "activation_scheme", config.activation_scheme);
  reader.read(object, "weight_block_size", config.weight_block_size);
  reader.read(object, "modules_to_not_convert", config.ignore);
  config.strategy = config.weight_block_size.empty() ? "tensor" : "block";
  if (!config.weight_block_size.empty() &&
      (config.weight_block_size.size() != 2 || config.weight_block_size[0] <= 0 || config.weight_block_size[1] <= 0)) {
    reader.fail("weight_block_size", "must be two positive integers such as [128, 128]");
  }
}

}  // namespace

std::string_view quant_method_name(QuantMethod method) {
  switch (method) {
    case QuantMethod::kCompressedTensors:
      return "compressed-tensors";
    case QuantMethod::kAwq:
      return "awq";
    case QuantMethod::kGptq:
      return "gptq";
    case QuantMethod::kFp8:
      return "fp8";
    case QuantMethod::kOther:
      return "other";
  }
  return "other";
}

std::string QuantizationConfig::describe() const {
  std::string text = quant_method;
  if (!format.empty()) text += " " + format;
  if (bits > 0) text += fmt::format(" {}{}", weight_type, bits);
  if (!weight_block_size.empty()) {
    text += fmt::format(" block {}x{}", weight_block_size[0], weight_block_size.size() > 1 ? weight_block_size[1] : 0);
  } else if (group_size > 0) {
    text += fmt::format(" group {}", group_size);
  } else if (bits > 0 && !strategy.empty()) {
    text += " per " + strategy;
  }
  if (symmetric) text += *symmetric ? " symmetric" : " asymmetric";
  if (!actorder.empty()) text += " actorder " + actorder;
  if (input_activation_bits) text += fmt::format(" a{} {}", *input_activation_bits, activation_scheme);
  return text;
}

base::Result<QuantizationConfig> parse_quantization_config(std::string_view json_text, std::string_view source_file,
                                                           bool assume_gptq) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_json(json_text, source_file, /*reject_duplicate_keys=*/false));
  std::string label = assume_gptq ? std::string(source_file) : fmt::format("{}: quantization_config", source_file);
  if (!object.is_object()) {
    return base::invalid_argument("{} must be an object but is {}", label, json_type_phrase(object));
  }
  base::Status status;
  JsonReader reader(label, &status);
  QuantizationConfig config;
  config.source_file = std::string(source_file);
  config.quant_method = assume_gptq ? "gptq" : "";
  reader.read(object, "quant_method", config.quant_method);
  if (config.quant_method.empty()) {
    return base::invalid_argument("{} has no quant_method; fovea cannot tell how the weights are stored", label);
  }
  config.method = method_from_name(config.quant_method);
  switch (config.method) {
    case QuantMethod::kCompressedTensors:
      parse_compressed_tensors(reader, object, config);
      break;
    case QuantMethod::kAwq:
      parse_awq(reader, object, config);
      break;
    case QuantMethod::kGptq:
      parse_gptq(reader, object, config);
      break;
    case QuantMethod::kFp8:
      parse_fp8(reader, object, config);
      break;
    case QuantMethod::kOther:
      break;
  }
  FOVEA_RETURN_IF_ERROR(status);
  return config;
}

}  // namespace fovea::io
