// Printing values the way Python does: str() for template output and `~`, repr() inside containers, float repr
// (`1.0`, `1e-05`). Output grows only up to a byte limit, so printing a huge structure fails cleanly.
// Must not contain JSON (json_value.h) or evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

// Python's repr(float).
std::string format_float(double number);
// Python's repr(str).
void append_string_repr(std::string& out, std::string_view text);
// Python's type(value).__name__ ("NoneType", "str", "list", "generator", "Undefined", ...).
std::string python_type_name(const Value& value);

// str(value) and repr(value) appended to `out`; fails when `out` would pass max_bytes or the value nests too
// deeply (a namespace that contains itself).
base::Status append_str(std::string& out, const Value& value, uint64_t max_bytes);
base::Status append_repr(std::string& out, const Value& value, uint64_t max_bytes);

// jinja2's message for using an undefined value ("'x' is undefined", "'dict object' has no attribute 'x'").
std::string undefined_message(const Value& value);

// repr(value), bounded like to_display_string.
std::string to_display_repr(const Value& value);

// str(value) for values that cannot be large (scalars); containers are printed with a generous default limit.
std::string to_display_string(const Value& value);

}  // namespace fovea::text::jinja
