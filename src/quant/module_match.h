// Which Linear modules a quantization_config quantizes: compressed-tensors `targets` and `ignore` entries (module
// names, "re:" regular expressions matched from the start of the name as Python's re.match, or the class name
// "Linear"), and the modules_to_not_convert lists of AutoAWQ / GPTQ / FP8 (substrings of the name, as vLLM reads
// them). Must not read tensors.
#pragma once

#include <string_view>

#include "io/quantization_config.h"

namespace fovea::quant {

// Whether one compressed-tensors target or ignore entry names Linear module `module_name`.
bool compressed_tensors_entry_matches(std::string_view entry, std::string_view module_name);

// Whether the config's ignore list / modules_to_not_convert keeps `module_name` unquantized.
bool module_is_ignored(const io::QuantizationConfig& config, std::string_view module_name);

// The compressed-tensors config group whose targets name the Linear `module_name`, or nullptr (also when ignored).
const io::QuantizationGroup* compressed_tensors_group(const io::QuantizationConfig& config,
                                                      std::string_view module_name);

}  // namespace fovea::quant
