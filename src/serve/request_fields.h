// Typed reads of request JSON fields with OpenAI-style errors (400, invalid_request_error, param = the field's
// path such as "messages[2].content[0].image_url.url"). Absent fields and nulls leave the output untouched, as in
// OpenAI and vLLM where null means "use the default". Internal to serve.
// Must not contain knowledge of any particular request type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "serve/api_error.h"

namespace fovea::serve {

// The field's value, or nullptr when it is absent or null.
const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key);

std::string child_param(std::string_view parent, std::string_view key);  // "parent.key" (or "key")
std::string index_param(std::string_view parent, size_t idx);            // "parent[idx]"

// 400 "`param` must be <expected>, not <type of value>".
ApiError wrong_type(const std::string& param, std::string_view expected, const nlohmann::json& value);

MaybeApiError read_bool_field(const nlohmann::json& object, std::string_view key, const std::string& param, bool& out);
MaybeApiError read_bool_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                              std::optional<bool>& out);
// An integer in [min_value, max_value] (an integral float such as 2.0 counts as an integer).
MaybeApiError read_int_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                             int64_t min_value, int64_t max_value, std::optional<int64_t>& out);
// A finite number in [min_value, max_value], or (min_value, max_value] when min_exclusive.
MaybeApiError read_number_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                                double min_value, double max_value, bool min_exclusive, std::optional<double>& out);
MaybeApiError read_string_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                                std::optional<std::string>& out);

// Parses a request body: JSON (depth-limited), and an object at the top level.
ApiResult<nlohmann::json> parse_request_object(std::string_view body);

}  // namespace fovea::serve
