// Fuzzes what quant does with an untrusted quantization_config: the input is the JSON text, then optionally a NUL
// and a module name, then a NUL and a --quantization value. Whatever io parses goes through the ignore-list and
// target matching (user-written "re:" patterns), the config-group lookup and the flag check, for realistic Qwen3-VL
// module names and the given one. Nothing may crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/quantization_config.h"
#include "quant/module_match.h"
#include "quant/quantization_flag.h"

namespace {

constexpr const char* kModules[] = {"model.language_model.layers.0.self_attn.q_proj",
                                    "model.layers.3.mlp.gate_proj",
                                    "lm_head",
                                    "model.visual.blocks.0.attn.qkv",
                                    "model.visual.merger.linear_fc1",
                                    "model.layers.1.mlp.gate"};
constexpr const char* kFlags[] = {"",    "awq",          "awq_marlin", "gptq_marlin", "compressed-tensors",
                                  "fp8", "bitsandbytes", "nonsense"};

void exercise(const fovea::io::QuantizationConfig& config, std::string_view module, std::string_view flag) {
  (void)fovea::quant::module_is_ignored(config, module);
  const fovea::io::QuantizationGroup* group = fovea::quant::compressed_tensors_group(config, module);
  if (group != nullptr) (void)group->num_bits;
  (void)fovea::quant::check_quantization_flag(&config, flag);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t json_end = input.find('\0');
  const std::string_view json_text = input.substr(0, json_end);
  std::string_view module;
  std::string_view flag;
  if (json_end != std::string_view::npos) {
    const std::string_view rest = input.substr(json_end + 1);
    const size_t module_end = rest.find('\0');
    module = rest.substr(0, module_end);
    if (module_end != std::string_view::npos) flag = rest.substr(module_end + 1);
  }
  (void)fovea::quant::check_quantization_flag(nullptr, flag);
  auto config = fovea::io::parse_quantization_config(json_text, "fuzz/config.json", (size & 1) != 0);
  if (!config.ok()) return 0;
  (void)config->describe();
  for (const char* name : kModules) {
    for (const char* value : kFlags) exercise(*config, name, value);
  }
  exercise(*config, module, flag);
  return 0;
}
