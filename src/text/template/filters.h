// jinja2's filters as transformers' environment has them (its own `tojson` replacing jinja2's), split into
// scalar/string filters (filters.cpp) and sequence filters (sequence_filters.cpp).
// Must not contain tests (predicates.h) or methods (methods.h).
#pragma once

#include <string_view>

#include "base/status.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

using FilterFn = base::Result<Value> (*)(Evaluator& evaluator, const Value& input, const CallArgs& args);

// The filter named `name`, or null when there is none.
FilterFn find_filter(std::string_view name);

// Filters jinja2 has but fovea does not implement (HTML helpers, random); named in load errors.
bool is_unsupported_filter(std::string_view name);

// The sequence filters, looked up by find_filter.
FilterFn find_sequence_filter(std::string_view name);

// jinja2's make_attrgetter: follows a dotted path ("a.b.0") through items, then attributes; a missing
// step gives Undefined, or `fallback` when that is not Undefined.
base::Result<Value> lookup_path(Evaluator& evaluator, const Value& item, const Value& path, const Value& fallback);

}  // namespace fovea::text::jinja
