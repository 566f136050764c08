// Small helpers over nlohmann::json values used by serve's parsers: integer extraction without overflow, type
// names for messages, short quoted excerpts of client text, and the depth-limited parse of untrusted bytes.
// Must not contain knowledge of any particular request or config field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace fovea::serve {

// Deepest nesting of arrays/objects accepted in untrusted JSON (tool schemas nest, but not this deep).
inline constexpr int kMaxJsonDepth = 64;

// The value as an int64 when it is a JSON integer, or a float with no fractional part, in range.
std::optional<int64_t> json_to_int64(const nlohmann::json& value);

// The value as a finite double when it is a JSON number.
std::optional<double> json_to_double(const nlohmann::json& value);

// "a string", "an integer", "an object", ... for messages.
std::string json_type_name(const nlohmann::json& value);

// 'text' quoted for a message: cut to at most 48 bytes at a UTF-8 boundary, control characters escaped.
std::string quoted_excerpt(std::string_view text);

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_valid_utf8(std::string_view text);
// Every string and key inside `value` is valid UTF-8.
bool json_strings_are_utf8(const nlohmann::json& value);

// Nesting depth of arrays/objects in `text` (brackets inside strings are skipped); scanning stops past `limit`.
int json_nesting_depth(std::string_view text, int limit);

// Result of parsing untrusted JSON text: the value, or a one-line message without library names.
struct JsonParseOutcome {
  std::optional<nlohmann::json> value;
  std::string error;
};

// Parses `text` as one JSON value, refusing nesting deeper than kMaxJsonDepth. Never throws.
JsonParseOutcome parse_untrusted_json(std::string_view text);

// Compact serialization that replaces invalid UTF-8 instead of throwing.
std::string dump_json(const nlohmann::json& value);
std::string dump_json(const nlohmann::ordered_json& value);

}  // namespace fovea::serve
