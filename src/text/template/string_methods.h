// Python's str methods, with code-point indexing and Python's whitespace and case rules.
// Must not contain str.format's mini-language (str_format.h) or dict/list methods (methods.cpp).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

bool is_string_method(std::string_view name);

base::Result<Value> call_string_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                       const CallArgs& args);

// str.strip/lstrip/rstrip: `chars` null strips whitespace.
std::string python_strip(std::string_view text, const std::string* chars, bool left, bool right);

// str.split / str.rsplit: `sep` null splits on runs of whitespace; max_split < 0 means no limit.
std::vector<std::string> python_split(std::string_view text, const std::string* sep, int64_t max_split,
                                      bool from_right);

// str.splitlines() boundaries, used by the indent and wordwrap filters too.
std::vector<std::string> python_splitlines(std::string_view text, bool keep_ends);

}  // namespace fovea::text::jinja
