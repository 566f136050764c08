// Byte rules of every weight format fovea plans for (spec §6) and the module-matching rules of each producer.
// Shapes are those the producing libraries write: compressed-tensors' compressors, AutoAWQ's WQLinear_GEMM,
// AutoGPTQ's QuantLinear, transformers' FP8Linear; tools/golden/make_plan_fixtures.py checks them against the real
// libraries through tests/data/plan/weight_bytes.json.
#include "plan/weight_format_rules.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace fovea::plan {
namespace {

using tensor::DType;

int64_t ceil_div(int64_t value, int64_t divisor) { return (value + divisor - 1) / divisor; }

TensorBytes make_tensor(std::string suffix, DType dtype, std::vector<int64_t> shape) {
  uint64_t num_elements = 1;
  for (int64_t dim : shape) num_elements *= static_cast<uint64_t>(std::max<int64_t>(dim, 0));
  uint64_t num_bytes = num_elements * static_cast<uint64_t>(tensor::dtype_size_bytes(dtype));
  return TensorBytes{std::move(suffix), dtype, std::move(shape), num_bytes};
}

// Number of scale groups along the input dimension for a grouped/channel/tensor strategy.
int64_t num_groups(const LinearScheme& scheme, int64_t in_features) {
  if (scheme.strategy == "group" && scheme.group_size > 0) return ceil_div(in_features, scheme.group_size);
  return 1;
}

std::optional<DType> dtype_from_torch_name(std::string_view name) {
  if (name == "bfloat16") return DType::kBF16;
  if (name == "float16" || name == "half") return DType::kF16;
  if (name == "float32" || name == "float") return DType::kF32;
  return std::nullopt;
}

// Spellings of --quantization (vLLM's) grouped by the checkpoint method they load.
std::optional<io::QuantMethod> method_of_flag(std::string_view flag) {
  if (flag == "awq" || flag == "awq_marlin") return io::QuantMethod::kAwq;
  if (flag == "gptq" || flag == "gptq_marlin" || flag == "marlin") return io::QuantMethod::kGptq;
  if (flag == "fp8") return io::QuantMethod::kFp8;
  if (flag == "compressed-tensors" || flag == "compressed_tensors") return io::QuantMethod::kCompressedTensors;
  return std::nullopt;
}

constexpr std::string_view kQuantizationChoices = "awq, awq_marlin, gptq, gptq_marlin, marlin, fp8, compressed-tensors";

// Other spellings of a module name that checkpoints and vLLM use, so ignore lists written either way match.
std::vector<std::string> name_aliases(std::string_view name) {
  std::vector<std::string> names = {std::string(name)};
  auto add_replaced = [&](std::string_view prefix, std::string_view replacement) {
    if (name.substr(0, prefix.size()) == prefix)
      names.push_back(std::string(replacement) + std::string(name.substr(prefix.size())));
  };
  add_replaced("model.visual.", "visual.");
  add_replaced("model.language_model.", "language_model.model.");
  add_replaced("model.language_model.", "model.");
  add_replaced("lm_head", "language_model.lm_head");
  return names;
}

base::Result<LinearScheme> scheme_from_group(const io::QuantizationConfig& config, const io::QuantizationGroup& group,
                                             DType dense_dtype) {
  LinearScheme scheme;
  scheme.dense_dtype = dense_dtype;
  scheme.scale_dtype = dense_dtype;
  scheme.bits = group.num_bits;
  scheme.group_size = group.group_size;
  scheme.strategy = group.strategy.empty() ? (group.group_size > 0 ? "group" : "channel") : group.strategy;
  scheme.symmetric = group.symmetric;
  scheme.has_g_idx = group.actorder == "group";
  scheme.block_size = group.block_structure;
  scheme.static_input_scale = group.input_num_bits.has_value() && !group.input_dynamic.value_or(false);
  std::string format = group.format.empty() ? config.format : group.format;
  if (format.empty()) {
    // compressed-tensors infers the compressor when the config names none.
    format = group.type == "float" ? "float-quantized" : group.input_num_bits ? "int-quantized" : "pack-quantized";
  }
  if (format == "pack-quantized" && group.type == "int" && group.num_bits <= 8) {
    scheme.format = WeightFormat::kPackedInt;
  } else if ((format == "int-quantized" || format == "naive-quantized") && group.type == "int") {
    scheme.format = WeightFormat::kIntQuantized;
  } else if ((format == "float-quantized" || format == "naive-quantized") && group.type == "float" &&
             group.num_bits == 8) {
    scheme.format = WeightFormat::kFloat8;
  } else {
    return base::unsupported(
        "{}: quantization_config group '{}' uses compressed-tensors format '{}' with {} {}-bit weights, which fovea "
        "plan cannot size (it knows pack-quantized, int-quantized and float-quantized)",
        config.source_file, group.name, format, group.type, group.num_bits);
  }
  if (scheme.strategy == "block" && scheme.block_size.size() != 2) {
    return base::invalid_argument("{}: quantization_config group '{}' has strategy block but no block_structure [n, k]",
                                  config.source_file, group.name);
  }
  return scheme;
}

bool is_plain_name(std::string_view entry) {
  return !entry.empty() && std::all_of(entry.begin(), entry.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

// `prefix` starts `name` and ends at a module boundary ("layers.1" matches "layers.1.mlp", not "layers.11").
bool prefix_at_boundary(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return false;
  return name.size() == prefix.size() || name[prefix.size()] == '.' || prefix.ends_with(".");
}

// std::regex compiles and matches recursively: refuse patterns whose length or nesting could exhaust the stack.
base::Status check_pattern(std::string_view source_file, std::string_view entry) {
  int depth = 0;
  int max_depth = 0;
  for (char c : entry) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    max_depth = std::max(max_depth, depth);
  }
  if (entry.size() > 512 || max_depth > 16) {
    return base::invalid_argument(
        "{}: quantization_config pattern '{:.40}...' is too long or too deeply nested for "
        "fovea plan (at most 512 characters and 16 levels of parentheses)",
        source_file, entry);
  }
  return base::Status();
}

}  // namespace

struct WeightFormatRules::NameRule {
  std::string text;
  bool all_linears = false;  // compressed-tensors target "Linear" (a class name)
  std::optional<std::regex> pattern;
};

std::string LinearScheme::describe() const {
  std::string sym = symmetric ? "symmetric" : "asymmetric";
  std::string grouping = strategy == "group" && group_size > 0 ? fmt::format("group {}", group_size)
                         : strategy == "block" && block_size.size() == 2
                             ? fmt::format("block {}x{}", block_size[0], block_size[1])
                             : "per " + (strategy.empty() ? std::string("channel") : strategy);
  switch (format) {
    case WeightFormat::kDense:
      return std::string(tensor::dtype_name(dense_dtype));
    case WeightFormat::kPackedInt:
      return fmt::format("int{} {} {} (compressed-tensors pack-quantized)", bits, grouping, sym);
    case WeightFormat::kIntQuantized:
      return fmt::format("int{} {} {} (compressed-tensors int-quantized)", bits, grouping, sym);
    case WeightFormat::kFloat8:
      return fmt::format("fp8 e4m3 {}", grouping);
    case WeightFormat::kAwqGemm:
      return fmt::format("int{} {} {} (AutoAWQ GEMM)", bits, grouping, sym);
    case WeightFormat::kGptq:
      return fmt::format("int{} {} {} (GPTQ)", bits, grouping, sym);
  }
  return "unknown";
}

std::vector<TensorBytes> linear_tensors(const LinearScheme& scheme, int64_t out_features, int64_t in_features,
                                        int64_t bias_features) {
  const int64_t n = out_features;
  const int64_t k = in_features;
  const int64_t groups = num_groups(scheme, k);
  std::vector<TensorBytes> tensors;
  DType bias_dtype = scheme.dense_dtype;
  switch (scheme.format) {
    case WeightFormat::kDense:
      tensors.push_back(make_tensor("weight", scheme.dense_dtype, {n, k}));
      break;
    case WeightFormat::kPackedInt:
      // compressed-tensors packs 32 consecutive values into `bits` int32 words along the input dimension, and
      // zero points along the output dimension; weight_shape is torch.tensor(shape), an int64 [2].
      tensors.push_back(make_tensor("weight_packed", DType::kI32, {n, ceil_div(k * scheme.bits, 32)}));
      tensors.push_back(make_tensor("weight_scale", scheme.scale_dtype, {n, groups}));
      if (!scheme.symmetric) {
        tensors.push_back(make_tensor("weight_zero_point", DType::kI32, {ceil_div(n * scheme.bits, 32), groups}));
      }
      tensors.push_back(make_tensor("weight_shape", DType::kI64, {2}));
      if (scheme.has_g_idx) tensors.push_back(make_tensor("weight_g_idx", DType::kI32, {k}));
      break;
    case WeightFormat::kIntQuantized:
      tensors.push_back(make_tensor("weight", DType::kI8, {n, k}));
      tensors.push_back(make_tensor("weight_scale", scheme.scale_dtype, {scheme.strategy == "tensor" ? 1 : n, groups}));
      if (!scheme.symmetric) {
        tensors.push_back(make_tensor("weight_zero_point", DType::kI8, {scheme.strategy == "tensor" ? 1 : n, groups}));
      }
      break;
    case WeightFormat::kFloat8:
      tensors.push_back(make_tensor("weight", DType::kF8E4M3, {n, k}));
      if (scheme.strategy == "block") {
        // Qwen's fp8 checkpoints and transformers' FP8Linear: an f32 multiplier per [bn, bk] block.
        tensors.push_back(make_tensor(scheme.scale_dtype == DType::kF32 ? "weight_scale_inv" : "weight_scale",
                                      scheme.scale_dtype,
                                      {ceil_div(n, scheme.block_size[0]), ceil_div(k, scheme.block_size[1])}));
      } else if (scheme.strategy == "channel") {
        tensors.push_back(make_tensor("weight_scale", scheme.scale_dtype, {n, 1}));
      } else {
        tensors.push_back(make_tensor("weight_scale", scheme.scale_dtype, {1}));
      }
      break;
    case WeightFormat::kAwqGemm:
      // AutoAWQ's WQLinear_GEMM: x @ W orientation, packed along the output dimension; fp16 scales and bias.
      tensors.push_back(make_tensor("qweight", DType::kI32, {k, ceil_div(n * scheme.bits, 32)}));
      tensors.push_back(make_tensor("qzeros", DType::kI32, {groups, ceil_div(n * scheme.bits, 32)}));
      tensors.push_back(make_tensor("scales", DType::kF16, {groups, n}));
      bias_dtype = DType::kF16;
      break;
    case WeightFormat::kGptq:
      // AutoGPTQ's QuantLinear: packed along the input dimension; g_idx always written.
      tensors.push_back(make_tensor("qweight", DType::kI32, {ceil_div(k * scheme.bits, 32), n}));
      tensors.push_back(make_tensor("qzeros", DType::kI32, {groups, ceil_div(n * scheme.bits, 32)}));
      tensors.push_back(make_tensor("scales", DType::kF16, {groups, n}));
      tensors.push_back(make_tensor("g_idx", DType::kI32, {k}));
      bias_dtype = DType::kF16;
      break;
  }
  if (scheme.static_input_scale) tensors.push_back(make_tensor("input_scale", DType::kF32, {1}));
  if (bias_features > 0) tensors.push_back(make_tensor("bias", bias_dtype, {bias_features}));
  return tensors;
}

uint64_t linear_bytes(const LinearScheme& scheme, int64_t out_features, int64_t in_features, int64_t bias_features) {
  uint64_t total = 0;
  for (const TensorBytes& tensor : linear_tensors(scheme, out_features, in_features, bias_features)) {
    total += tensor.num_bytes;
  }
  return total;
}

std::string shard_problem(const LinearScheme& scheme, int64_t out_features_per_rank, int64_t in_features_per_rank,
                          bool row_parallel) {
  if (scheme.format == WeightFormat::kDense) return "";
  if (row_parallel && scheme.strategy == "group" && scheme.group_size > 0 &&
      in_features_per_rank % scheme.group_size != 0) {
    return fmt::format("a row-parallel shard is {} inputs wide, not a multiple of the group size {}",
                       in_features_per_rank, scheme.group_size);
  }
  if (scheme.strategy == "block" && scheme.block_size.size() == 2) {
    if (!row_parallel && out_features_per_rank % scheme.block_size[0] != 0) {
      return fmt::format("a column-parallel shard has {} outputs, not a multiple of the FP8 block {}",
                         out_features_per_rank, scheme.block_size[0]);
    }
    if (row_parallel && in_features_per_rank % scheme.block_size[1] != 0) {
      return fmt::format("a row-parallel shard is {} inputs wide, not a multiple of the FP8 block {}",
                         in_features_per_rank, scheme.block_size[1]);
    }
  }
  bool packs_outputs = scheme.format == WeightFormat::kAwqGemm || scheme.format == WeightFormat::kGptq;
  if (packs_outputs && (out_features_per_rank * scheme.bits) % 32 != 0) {
    return fmt::format("a shard has {} outputs, which {}-bit values do not pack into whole int32 words",
                       out_features_per_rank, scheme.bits);
  }
  return "";
}

base::Result<WeightFormatRules> WeightFormatRules::from_config(const io::ModelConfig& config,
                                                               const std::optional<std::string>& quantization_flag) {
  WeightFormatRules rules;
  const std::string& dtype_name = config.dtype.empty() ? config.text_config.dtype : config.dtype;
  rules.dense_.dense_dtype = dtype_from_torch_name(dtype_name).value_or(DType::kBF16);
  rules.dense_.scale_dtype = rules.dense_.dense_dtype;
  std::string dense_name(tensor::dtype_name(rules.dense_.dense_dtype));

  std::optional<io::QuantMethod> flag_method;
  if (quantization_flag) {
    flag_method = method_of_flag(*quantization_flag);
    if (!flag_method) {
      return base::invalid_argument("--quantization '{}' is not a method fovea plans for; choose one of {}",
                                    *quantization_flag, kQuantizationChoices);
    }
  }

  if (!config.quantization_config) {
    rules.description_ = fmt::format("none ({} checkpoint)", dense_name);
    if (!flag_method) return rules;
    if (*flag_method != io::QuantMethod::kFp8) {
      return base::invalid_argument(
          "--quantization {} needs a checkpoint quantized with {}, but config.json has no quantization_config (the "
          "weights are {}); only fp8 can quantize an unquantized checkpoint at load time",
          *quantization_flag, io::quant_method_name(*flag_method), dense_name);
    }
    // vLLM's online FP8: every Linear but lm_head gets fp8 weights with one f32 scale each.
    LinearScheme fp8 = rules.dense_;
    fp8.format = WeightFormat::kFloat8;
    fp8.bits = 8;
    fp8.strategy = "tensor";
    fp8.scale_dtype = DType::kF32;
    rules.groups_.push_back(Group{{}, fp8});
    rules.quantize_lm_head_ = false;
    rules.description_ =
        fmt::format("fp8 e4m3 per tensor, quantized at load time (--quantization fp8) from {}", dense_name);
    return rules;
  }

  const io::QuantizationConfig& quant = *config.quantization_config;
  if (flag_method && *flag_method != quant.method) {
    return base::invalid_argument(
        "--quantization {} contradicts the checkpoint, which {} says is quantized with {} ({}); drop --quantization "
        "or pass --quantization {}",
        *quantization_flag, quant.source_file, quant.quant_method, quant.describe(), quant.quant_method);
  }
  LinearScheme scheme = rules.dense_;
  scheme.bits = quant.bits;
  scheme.group_size = quant.group_size;
  scheme.symmetric = quant.symmetric.value_or(true);
  scheme.strategy = quant.strategy;
  switch (quant.method) {
    case io::QuantMethod::kCompressedTensors: {
      rules.match_style_ = MatchStyle::kCompressedTensors;
      for (const io::QuantizationGroup& group : quant.groups) {
        if (group.num_bits <= 0) continue;
        FOVEA_ASSIGN_OR_RETURN(LinearScheme group_scheme, scheme_from_group(quant, group, rules.dense_.dense_dtype));
        Group entry{{}, group_scheme};
        for (const std::string& target : group.targets) {
          auto rule = std::make_shared<NameRule>();
          rule->text = target;
          rule->all_linears = target == "Linear";
          if (target.rfind("re:", 0) == 0) {
            FOVEA_RETURN_IF_ERROR(check_pattern(quant.source_file, target));
            try {
              rule->pattern = std::regex(target.substr(3), std::regex::ECMAScript);
            } catch (const std::regex_error&) {
              return base::invalid_argument("{}: quantization_config group '{}' target '{}' is not a valid regex",
                                            quant.source_file, group.name, target);
            }
          }
          entry.targets.push_back(std::move(rule));
        }
        rules.groups_.push_back(std::move(entry));
      }
      if (rules.groups_.empty()) {
        return base::unsupported("{}: compressed-tensors quantization_config quantizes no weights ({})",
                                 quant.source_file, quant.describe());
      }
      break;
    }
    case io::QuantMethod::kAwq:
      if (!quant.format.empty() && quant.format != "gemm") {
        return base::unsupported("{}: AutoAWQ version '{}' is not sized by fovea plan (it knows the GEMM layout)",
                                 quant.source_file, quant.format);
      }
      scheme.format = WeightFormat::kAwqGemm;
      scheme.scale_dtype = DType::kF16;
      rules.groups_.push_back(Group{{}, scheme});
      rules.match_style_ = MatchStyle::kSubstring;
      rules.quantize_lm_head_ = false;
      break;
    case io::QuantMethod::kGptq:
      scheme.format = WeightFormat::kGptq;
      scheme.scale_dtype = DType::kF16;
      scheme.has_g_idx = true;
      rules.groups_.push_back(Group{{}, scheme});
      rules.match_style_ = MatchStyle::kSubstring;
      rules.quantize_lm_head_ = false;
      rules.quantize_vision_ = false;  // vLLM never applies GPTQ to the Qwen3-VL vision tower (spec §6.3)
      break;
    case io::QuantMethod::kFp8:
      scheme.format = WeightFormat::kFloat8;
      scheme.bits = 8;
      scheme.block_size = quant.weight_block_size;
      scheme.strategy = quant.weight_block_size.empty() ? "tensor" : "block";
      scheme.scale_dtype = DType::kF32;
      scheme.static_input_scale = quant.activation_scheme == "static";
      rules.groups_.push_back(Group{{}, scheme});
      rules.match_style_ = MatchStyle::kBoundaryOrSuffix;
      break;
    case io::QuantMethod::kOther:
      return base::unsupported(
          "{}: quant_method '{}' is not a weight format fovea plan can size (it knows "
          "compressed-tensors, awq, gptq and fp8)",
          quant.source_file, quant.quant_method);
  }
  for (const std::string& entry : quant.ignore) {
    auto rule = std::make_shared<NameRule>();
    rule->text = entry;
    // transformers treats every modules_to_not_convert entry as a regex; plain dotted names match literally,
    // which is the same for every name a checkpoint has, and much faster.
    bool is_regex = rules.match_style_ == MatchStyle::kCompressedTensors  ? entry.rfind("re:", 0) == 0
                    : rules.match_style_ == MatchStyle::kBoundaryOrSuffix ? !is_plain_name(entry)
                                                                          : false;
    if (is_regex) {
      FOVEA_RETURN_IF_ERROR(check_pattern(quant.source_file, entry));
      std::string pattern = rules.match_style_ == MatchStyle::kCompressedTensors
                                ? entry.substr(3)
                                : "(?:" + entry + ")" + (entry.ends_with(".") ? ".*" : "(?:\\..*)?");
      try {
        rule->pattern = std::regex(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return base::invalid_argument("{}: quantization_config ignore entry '{}' is not a valid regex",
                                      quant.source_file, entry);
      }
    }
    rules.ignore_.push_back(std::move(rule));
  }
  rules.description_ = fmt::format("{} ({})", rules.groups_.front().scheme.describe(), quant.source_file);
  return rules;
}

WeightFormatRules WeightFormatRules::int4_group128(const io::ModelConfig& config) {
  WeightFormatRules rules;
  const std::string& dtype_name = config.dtype.empty() ? config.text_config.dtype : config.dtype;
  rules.dense_.dense_dtype = dtype_from_torch_name(dtype_name).value_or(DType::kBF16);
  rules.dense_.scale_dtype = rules.dense_.dense_dtype;
  LinearScheme int4 = rules.dense_;
  int4.format = WeightFormat::kPackedInt;
  int4.bits = 4;
  int4.group_size = 128;
  int4.strategy = "group";
  rules.groups_.push_back(Group{{}, int4});
  rules.quantize_vision_ = false;
  rules.quantize_lm_head_ = false;
  rules.description_ = int4.describe();
  return rules;
}

int64_t WeightFormatRules::min_bits() const {
  int64_t bits = tensor::dtype_size_bytes(dense_.dense_dtype) * 8;
  for (const Group& group : groups_) bits = std::min(bits, group.scheme.bits);
  return bits;
}

bool WeightFormatRules::matches_any(const std::vector<std::shared_ptr<const NameRule>>& rules,
                                    std::string_view module_name) const {
  std::vector<std::string> names = name_aliases(module_name);
  for (const auto& rule : rules) {
    if (rule->all_linears) return true;
    for (const std::string& name : names) {
      switch (match_style_) {
        case MatchStyle::kCompressedTensors:
          // Python's re.match anchors at the start only.
          if (rule->pattern ? std::regex_search(name, *rule->pattern, std::regex_constants::match_continuous)
                            : name == rule->text) {
            return true;
          }
          break;
        case MatchStyle::kBoundaryOrSuffix:
          if (rule->pattern ? std::regex_match(name, *rule->pattern) : prefix_at_boundary(name, rule->text)) {
            return true;
          }
          if (name.ends_with(rule->text)) return true;
          break;
        case MatchStyle::kSubstring:
          if (name.find(rule->text) != std::string::npos) return true;
          break;
      }
    }
  }
  return false;
}

LinearScheme WeightFormatRules::scheme_for(std::string_view module_name, bool in_vision_tower) const {
  if (groups_.empty() || (in_vision_tower && !quantize_vision_)) return dense_;
  if (module_name == "lm_head" && !quantize_lm_head_) return dense_;
  if (matches_any(ignore_, module_name)) return dense_;
  for (const Group& group : groups_) {
    if (group.targets.empty() || matches_any(group.targets, module_name)) return group.scheme;
  }
  return dense_;
}

}  // namespace fovea::plan
