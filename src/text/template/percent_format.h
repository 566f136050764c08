// Python's printf-style string formatting (`'%s: %d' % (a, b)` and the `format` filter).
// Must not contain str.format (string_methods.cpp) or anything else.
#pragma once

#include <string_view>

#include "base/status.h"
#include "text/template/limits.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

// `format % args`: args is a tuple (several values), a dict (for `%(name)s`) or one value.
base::Result<Value> percent_format(std::string_view format, const Value& args, const TemplateLimits& limits);

}  // namespace fovea::text::jinja
