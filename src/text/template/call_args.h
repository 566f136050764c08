// Binds the arguments of a builtin call (filter, test, method, global function) to named parameters the way
// Python does, with Python-like errors for missing, repeated or unknown arguments.
// Must not contain any particular function's parameters.
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

struct ParamSpec {
  std::string_view name;
  bool required = false;
  Value default_value;  // used when not passed; Undefined means "not given"
};

// Returns one value per parameter, in order. `what` names the function in errors ("filter 'join'").
base::Result<std::vector<Value>> bind_args(std::string_view what, const CallArgs& args,
                                           std::initializer_list<ParamSpec> params);

}  // namespace fovea::text::jinja
