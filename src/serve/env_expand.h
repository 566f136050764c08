// ${NAME} and ${NAME:-default} expansion for values in --config files (so secrets stay in the environment:
// `api-key: ${FOVEA_API_KEY}`), with "$$" for a literal '$'. The environment is passed in, so tests and fuzzers
// never touch the real one. Must not contain config-key knowledge.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::serve {

// Looks up one environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (getenv).
EnvLookup process_env_lookup();

struct ExpandedText {
  std::string text;
  bool used_variables = false;  // at least one ${...} was expanded
};

// Expands `text`. An unset variable without a default, or a malformed ${...}, is an error naming the variable.
// A lone '$' not followed by '{' or '$' stays as it is.
base::Result<ExpandedText> expand_env_vars(std::string_view text, const EnvLookup& env);

}  // namespace fovea::serve
