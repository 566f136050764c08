// Typed request-field reads with OpenAI-style errors.
// Must not contain knowledge of any particular request type.
#include "serve/request_fields.h"

#include <fmt/format.h>

#include <cmath>

#include "serve/json_value.h"

namespace fovea::serve {

const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string child_param(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_param(std::string_view parent, size_t idx) { return fmt::format("{}[{}]", parent, idx); }

ApiError wrong_type(const std::string& param, std::string_view expected, const nlohmann::json& value) {
  return bad_request(fmt::format("`{}` must be {}, not {}.", param, expected, json_type_name(value)), param);
}

MaybeApiError read_bool_field(const nlohmann::json& object, std::string_view key, const std::string& param, bool& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) return wrong_type(param, "true or false", *value);
  out = value->get<bool>();
  return std::nullopt;
}

MaybeApiError read_bool_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                              std::optional<bool>& out) {
  bool flag = false;
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(object, key, param, flag));
  out = flag;
  return std::nullopt;
}

MaybeApiError read_int_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                             int64_t min_value, int64_t max_value, std::optional<int64_t>& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean() || !value->is_number()) return wrong_type(param, "an integer", *value);
  const std::optional<int64_t> integer = json_to_int64(*value);
  if (!integer) {
    if (value->is_number_float() && std::isfinite(value->get<double>()) &&
        std::trunc(value->get<double>()) != value->get<double>()) {
      return bad_request(fmt::format("`{}` must be an integer, not {}.", param, value->get<double>()), param);
    }
    return bad_request(fmt::format("`{}` is out of range; it must be from {} to {}.", param, min_value, max_value),
                       param);
  }
  if (*integer < min_value || *integer > max_value) {
    return bad_request(fmt::format("`{}` must be from {} to {}; got {}.", param, min_value, max_value, *integer),
                       param);
  }
  out = *integer;
  return std::nullopt;
}

MaybeApiError read_number_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                                double min_value, double max_value, bool min_exclusive, std::optional<double>& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean() || !value->is_number()) return wrong_type(param, "a number", *value);
  const std::optional<double> number = json_to_double(*value);
  const bool above_min = number && (min_exclusive ? *number > min_value : *number >= min_value);
  if (!number || !above_min || *number > max_value) {
    return bad_request(fmt::format("`{}` must be in {}{}, {}]{}.", param, min_exclusive ? "(" : "[", min_value,
                                   max_value, number ? fmt::format("; got {}", *number) : std::string()),
                       param);
  }
  out = *number;
  return std::nullopt;
}

MaybeApiError read_string_field(const nlohmann::json& object, std::string_view key, const std::string& param,
                                std::optional<std::string>& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) return wrong_type(param, "a string", *value);
  out = value->get<std::string>();
  return std::nullopt;
}

ApiResult<nlohmann::json> parse_request_object(std::string_view body) {
  JsonParseOutcome parsed = parse_untrusted_json(body);
  if (!parsed.value) return invalid_json(fmt::format("The request body is {}.", parsed.error));
  if (!parsed.value->is_object()) {
    return invalid_json(fmt::format("The request body must be a JSON object, not {}.", json_type_name(*parsed.value)));
  }
  return std::move(*parsed.value);
}

}  // namespace fovea::serve
