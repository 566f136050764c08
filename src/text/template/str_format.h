// Python's str.format() and its format-spec mini-language (`{:>10}`, `{:.2f}`, `{0[key]}`), with field lookups
// going through the sandbox like jinja2's SandboxedFormatter.
// Must not contain printf-style formatting (percent_format.h).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

base::Result<Value> str_format(Evaluator& evaluator, std::string_view format, const CallArgs& args);

}  // namespace fovea::text::jinja
