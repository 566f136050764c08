// JSON parsing with duplicate-key detection, and typed field reads with file/field-naming errors.
#include "io/json_reader.h"

#include <cmath>
#include <limits>
#include <set>

#include "base/file_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxJsonFileBytes = uint64_t{64} << 20;
constexpr int kMaxJsonDepth = 64;

// nlohmann's exception text starts with "[json.exception.parse_error.101] "; the bracket adds nothing for a user.
std::string parse_error_detail(const json::exception& error) {
  std::string_view text = error.what();
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("] ");
    if (close != std::string_view::npos) text.remove_prefix(close + 2);
  }
  return std::string(text);
}

// Integral value of a JSON number, if it has one that fits int64 (integral floats such as 32768.0 included).
std::optional<int64_t> integral_value(const json& value) {
  if (value.is_number_unsigned()) {
    uint64_t raw = value.get<uint64_t>();
    if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(raw);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double raw = value.get<double>();
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (std::trunc(raw) == raw && raw >= -9.2233720368547758e18 && raw < 9.2233720368547758e18) {
      return static_cast<int64_t>(raw);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string json_type_phrase(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "a value of an unexpected type";
  }
}

base::Result<json> parse_json(std::string_view text, std::string_view file_label, bool reject_duplicate_keys) {
  std::vector<std::set<std::string, std::less<>>> open_objects;  // the keys seen so far in each open object
  std::string duplicate_key;
  bool found_duplicate = false;
  // The callback sees every value: it bounds the nesting depth (deep nesting costs memory, and nlohmann's dump()
  // recurses) and, when asked, finds duplicate keys. Throwing TooDeep aborts the parse.
  struct TooDeep {};
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) throw TooDeep{};
        if (event == json::parse_event_t::object_start && reject_duplicate_keys) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (reject_duplicate_keys && !open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (reject_duplicate_keys && !open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second && !found_duplicate) {
          found_duplicate = true;
          duplicate_key = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json document;
  try {
    document = json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
  } catch (const json::exception& error) {
    return base::data_loss("{} is not valid JSON ({}); fix or re-download the file", file_label,
                           parse_error_detail(error));
  } catch (const TooDeep&) {
    return base::data_loss("{} nests objects or arrays more than {} deep; no model file does that", file_label,
                           kMaxJsonDepth);
  }
  if (found_duplicate) {
    return base::data_loss("{} has the key \"{}\" twice in one object; duplicate keys are not allowed", file_label,
                           duplicate_key);
  }
  return document;
}

base::Result<json> read_json_file(const std::string& model_dir, std::string_view file_name) {
  std::string path = model_dir + "/" + std::string(file_name);
  FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(path, kMaxJsonFileBytes));
  return parse_json(text, path, /*reject_duplicate_keys=*/false);
}

JsonReader JsonReader::child(std::string_view key) const {
  JsonReader reader(file_label_, status_);
  reader.path_ = field_path(key);
  return reader;
}

std::string JsonReader::field_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void JsonReader::fail(std::string_view key, std::string_view problem) const {
  if (!status_->ok()) return;
  *status_ = base::invalid_argument("{}: {} {}; fix the file", file_label_, field_path(key), problem);
}

bool JsonReader::has(const json& object, std::string_view key) const {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

void JsonReader::read(const json& object, std::string_view key, int64_t& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  std::optional<int64_t> number = integral_value(value);
  if (!number) {
    fail(key, "must be an integer but is " + json_type_phrase(value));
    return;
  }
  out = *number;
}

void JsonReader::read(const json& object, std::string_view key, double& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_number()) {
    fail(key, "must be a number but is " + json_type_phrase(value));
    return;
  }
  out = value.get<double>();
}

void JsonReader::read(const json& object, std::string_view key, bool& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_boolean()) {
    fail(key, "must be true or false but is " + json_type_phrase(value));
    return;
  }
  out = value.get<bool>();
}

void JsonReader::read(const json& object, std::string_view key, std::string& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_string()) {
    fail(key, "must be a string but is " + json_type_phrase(value));
    return;
  }
  out = value.get<std::string>();
}

void JsonReader::read(const json& object, std::string_view key, std::vector<int64_t>& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_array()) {
    fail(key, "must be a list of integers but is " + json_type_phrase(value));
    return;
  }
  std::vector<int64_t> items;
  for (const json& item : value) {
    std::optional<int64_t> number = integral_value(item);
    if (!number) {
      fail(key, "must be a list of integers but holds " + json_type_phrase(item));
      return;
    }
    items.push_back(*number);
  }
  out = std::move(items);
}

void JsonReader::read(const json& object, std::string_view key, std::vector<double>& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_array()) {
    fail(key, "must be a list of numbers but is " + json_type_phrase(value));
    return;
  }
  std::vector<double> items;
  for (const json& item : value) {
    if (!item.is_number()) {
      fail(key, "must be a list of numbers but holds " + json_type_phrase(item));
      return;
    }
    items.push_back(item.get<double>());
  }
  out = std::move(items);
}

void JsonReader::read(const json& object, std::string_view key, std::vector<std::string>& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (!value.is_array()) {
    fail(key, "must be a list of strings but is " + json_type_phrase(value));
    return;
  }
  std::vector<std::string> items;
  for (const json& item : value) {
    if (!item.is_string()) {
      fail(key, "must be a list of strings but holds " + json_type_phrase(item));
      return;
    }
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
}

void JsonReader::read_int_or_list(const json& object, std::string_view key, std::vector<int64_t>& out) const {
  if (!has(object, key)) return;
  const json& value = object.at(std::string(key));
  if (value.is_array()) {
    read(object, key, out);
    return;
  }
  std::optional<int64_t> number = integral_value(value);
  if (!number) {
    fail(key, "must be an integer or a list of integers but is " + json_type_phrase(value));
    return;
  }
  out = {*number};
}

}  // namespace fovea::io
