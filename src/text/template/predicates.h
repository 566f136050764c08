// jinja2's tests, the right-hand side of `x is defined`, `x is string`, `x is divisibleby 3`, also used by
// select/reject. Must not contain filters (filters.h).
#pragma once

#include <string_view>

#include "base/status.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

using TestFn = base::Result<bool> (*)(Evaluator& evaluator, const Value& input, const CallArgs& args);

// The test named `name`, or null when jinja2 has none by that name.
TestFn find_test(std::string_view name);

}  // namespace fovea::text::jinja
