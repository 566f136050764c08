// JSON value helpers for serve's parsers; the only place that catches nlohmann's parse exceptions.
// Must not contain knowledge of any particular request or config field.
#include "serve/json_value.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace fovea::serve {

std::optional<int64_t> json_to_int64(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned()) {
      const uint64_t unsigned_value = value.get<uint64_t>();
      if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(unsigned_value);
    }
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    // 2^63 is exactly representable; anything at or past it does not fit.
    if (!std::isfinite(number) || std::trunc(number) != number || number >= 9223372036854775808.0 ||
        number < -9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<int64_t>(number);
  }
  return std::nullopt;
}

std::optional<double> json_to_double(const nlohmann::json& value) {
  if (!value.is_number()) return std::nullopt;
  const double number = value.get<double>();
  if (!std::isfinite(number)) return std::nullopt;
  return number;
}

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      break;
  }
  return "an unsupported value";
}

std::string quoted_excerpt(std::string_view text) {
  constexpr size_t kMaxBytes = 48;
  size_t end = std::min(text.size(), kMaxBytes);
  // Step back to a UTF-8 lead byte so the cut never splits a character.
  if (end < text.size()) {
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string out = "'";
  for (size_t idx = 0; idx < end; ++idx) {
    const unsigned char c = static_cast<unsigned char>(text[idx]);
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (end < text.size()) out += "...";
  out += "'";
  return out;
}

bool is_valid_utf8(std::string_view text) {
  size_t idx = 0;
  while (idx < text.size()) {
    const auto lead = static_cast<unsigned char>(text[idx]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++idx;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (idx + length > text.size()) return false;
    for (size_t byte_idx = 1; byte_idx < length; ++byte_idx) {
      const auto byte = static_cast<unsigned char>(text[idx + byte_idx]);
      if ((byte & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    idx += length;
  }
  return true;
}

bool json_strings_are_utf8(const nlohmann::json& value) {
  if (value.is_string()) return is_valid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    for (const nlohmann::json& item : value) {
      if (!json_strings_are_utf8(item)) return false;
    }
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (!is_valid_utf8(key) || !json_strings_are_utf8(item)) return false;
    }
  }
  return true;
}

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t idx = 0; idx < text.size(); ++idx) {
    const char c = text[idx];
    if (in_string) {
      if (c == '\\') {
        ++idx;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth > max_depth) max_depth = depth;
      if (max_depth > limit) return max_depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

JsonParseOutcome parse_untrusted_json(std::string_view text) {
  JsonParseOutcome outcome;
  if (json_nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    outcome.error = fmt::format("JSON nested deeper than {} levels is not accepted", kMaxJsonDepth);
    return outcome;
  }
  try {
    outcome.value = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    outcome.error = fmt::format("not valid JSON (error near byte {})", error.byte);
  } catch (const nlohmann::json::exception&) {
    outcome.error = "not valid JSON";
  }
  return outcome;
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace fovea::serve
