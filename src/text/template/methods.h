// Python methods templates call on values: str methods (strip, split, startswith, format, ...), dict methods
// (get, items, keys, values, copy) and the list/tuple methods the immutable sandbox allows (index, count, copy).
// Must not contain filters (filters.h) or attribute lookup rules (evaluator.h).
#pragma once

#include <string_view>

#include "base/status.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

enum class MethodSafety { kNone, kSafe, kUnsafe };

// Whether `receiver` has a method `name`, and whether the sandbox lets templates use it (list.append and
// dict.update are refused, as jinja2's ImmutableSandboxedEnvironment does).
MethodSafety find_method(const Value& receiver, std::string_view name);

// Calls receiver.name(*args).
base::Result<Value> call_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                const CallArgs& args);

}  // namespace fovea::text::jinja
