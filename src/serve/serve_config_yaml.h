// Reads a --config YAML file into a FlagSource, as vLLM's FlexibleArgumentParser.load_config_file does: keys are
// flag names (dashes or underscores), values are scalars, lists or mappings (JSON flags); ${VAR} references in
// values are expanded from the environment. Internal to serve. Must not contain the flags' own checks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serve/env_expand.h"
#include "serve/flag_source.h"

namespace fovea::serve {

// Adds every key of the YAML mapping in `yaml_text` to `source`; `file_label` prefixes messages. Notes collect
// ignored vLLM keys and literal API keys written in the file.
base::Status collect_yaml_flags(std::string_view yaml_text, std::string_view file_label, const EnvLookup& env,
                                FlagSource& source, std::vector<std::string>& notes);

}  // namespace fovea::serve
