// Global names every chat template sees, as transformers sets them up: range (the sandbox's bounded one), dict,
// namespace, cycler, joiner, raise_exception and strftime_now.
// Must not contain filters or tests.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

// The globals, in the order jinja2 defines them.
std::vector<std::pair<std::string, Value>> make_globals();

// transformers' namespaces refuse attribute names starting with an underscore.
base::Status check_namespace_attribute(std::string_view name);

}  // namespace fovea::text::jinja
