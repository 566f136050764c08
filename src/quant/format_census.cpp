// Format census: tensors grouped by module ("<module>.<leaf>"); a module with a Linear weight tensor is labelled by
// detect_linear_format plus the config's scheme for it, every other tensor by its dtype.
#include "quant/format_census.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "quant/linear_format.h"
#include "quant/module_match.h"
#include "quant/tensor_lookup.h"

namespace fovea::quant {
namespace {

std::string_view module_of(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
}

std::string scheme_label(LinearFormat format, const io::QuantizationConfig& config, std::string_view module) {
  std::string label(linear_format_name(format));
  if (format == LinearFormat::kCompressedInt || format == LinearFormat::kCompressedFloat) {
    const io::QuantizationGroup* group = compressed_tensors_group(config, module);
    if (group == nullptr) return label;
    label = fmt::format("compressed-tensors {}{}", group->type, group->num_bits);
    if (group->strategy == "group") {
      label += fmt::format(" group {}", group->group_size);
    } else if (group->strategy == "block" && group->block_structure.size() == 2) {
      label += fmt::format(" block {}x{}", group->block_structure[0], group->block_structure[1]);
    } else {
      label += " per " + group->strategy;
    }
    if (format == LinearFormat::kCompressedInt) label += group->symmetric ? " symmetric" : " asymmetric";
    if (!group->actorder.empty()) label += " actorder " + group->actorder;
    return label;
  }
  if (format == LinearFormat::kFp8Block) {
    return config.weight_block_size.size() == 2
               ? fmt::format("fp8 block {}x{}", config.weight_block_size[0], config.weight_block_size[1])
               : std::string("fp8 per tensor");
  }
  label +=
      fmt::format(" int{} {}", config.bits,
                  config.group_size == -1 ? std::string("per channel") : fmt::format("group {}", config.group_size));
  if (format == LinearFormat::kGptq) {
    if (config.format == "gptq_v2") label += " v2";
    if (!config.actorder.empty()) label += " desc_act";
  } else if (config.symmetric) {
    label += *config.symmetric ? " symmetric" : " asymmetric";
  }
  return label;
}

}  // namespace

FormatCensus census_formats(const io::WeightTable& table, const io::ModelConfig& config) {
  const io::QuantizationConfig* quant = config.quantization_config ? &*config.quantization_config : nullptr;
  const WeightTableLookup lookup(table);
  // Modules with a Linear weight tensor: rank-2 float/fp8 `weight`, `weight_packed` or `qweight`.
  std::map<std::string, std::string, std::less<>> linear_labels;
  for (const auto& [name, entry] : table.entries()) {
    const std::string_view leaf = std::string_view(name).substr(name.rfind('.') + 1);
    // Embedding tables are rank-2 `weight`s too, but never Linear layers.
    const bool linear_weight = leaf == "weight_packed" || leaf == "qweight" ||
                               (leaf == "weight" && entry.view.shape.rank() == 2 &&
                                io::classify_tensor(name) != io::ModelComponent::kEmbeddings);
    if (!linear_weight) continue;
    const std::string module(module_of(name));
    if (linear_labels.count(module) != 0) continue;
    base::Result<LinearFormat> format = detect_linear_format(lookup, module, quant);
    if (!format.ok()) {
      linear_labels[module] = "unreadable: " + format.status().message();
    } else if (*format == LinearFormat::kDense) {
      linear_labels[module] = "dense " + std::string(tensor::dtype_name(entry.view.dtype));
    } else {
      linear_labels[module] = scheme_label(*format, *quant, module);
    }
  }
  std::array<std::map<std::string, FormatBytes>, io::kNumModelComponents> by_label;
  std::set<std::string, std::less<>> counted_linears;
  for (const auto& [name, entry] : table.entries()) {
    const std::string_view module = module_of(name);
    auto linear = linear_labels.find(module);
    const std::string label =
        linear != linear_labels.end() ? linear->second : "dense " + std::string(tensor::dtype_name(entry.view.dtype));
    FormatBytes& slot = by_label[static_cast<size_t>(io::classify_tensor(name))][label];
    slot.format = label;
    slot.num_tensors += 1;
    slot.bytes += entry.size_bytes;
    if (linear != linear_labels.end() && counted_linears.insert(std::string(module)).second) slot.num_linears += 1;
  }
  FormatCensus census;
  for (size_t component_idx = 0; component_idx < by_label.size(); ++component_idx) {
    for (auto& [label, bytes] : by_label[component_idx]) census.components[component_idx].push_back(bytes);
  }
  return census;
}

}  // namespace fovea::quant
