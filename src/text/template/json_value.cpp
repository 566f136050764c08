// JSON in (nlohmann, ordered) and out (Python's json.dumps).
#include "text/template/json_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "text/template/unicode_text.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

void append_escaped(std::string& out, std::string_view text, bool ensure_ascii) {
  out += '"';
  size_t pos = 0;
  while (pos < text.size()) {
    auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      ++pos;
      switch (byte) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (byte < 0x20 || (ensure_ascii && byte == 0x7F)) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", byte);
            out += buf;
          } else {
            out += static_cast<char>(byte);
          }
      }
      continue;
    }
    size_t begin = pos;
    char32_t cp = next_code_point(text, pos);
    if (!ensure_ascii) {
      out.append(text.substr(begin, pos - begin));
      continue;
    }
    char buf[16];
    if (cp >= 0x10000) {
      char32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 | (v >> 10)),
                    static_cast<unsigned>(0xDC00 | (v & 0x3FF)));
    } else {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
    }
    out += buf;
  }
  out += '"';
}

std::string json_float(double number) {
  if (std::isnan(number)) return "NaN";
  if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
  return format_float(number);
}

base::Status not_serializable(const Value& value) {
  return base::invalid_argument("Object of type {} is not JSON serializable", python_type_name(value));
}

class JsonWriter {
 public:
  JsonWriter(std::string& out, const JsonDumpOptions& options, uint64_t max_bytes)
      : out_(out), options_(options), max_bytes_(max_bytes) {}

  base::Status write(const Value& value, int level) {
    if (out_.size() > max_bytes_) {
      return base::out_of_range("tojson produced more than {} bytes, the limit for one string", max_bytes_);
    }
    switch (value.kind()) {
      case ValueKind::kNone:
        out_ += "null";
        return base::Status();
      case ValueKind::kBool:
        out_ += value.as_bool() ? "true" : "false";
        return base::Status();
      case ValueKind::kInt:
        out_ += std::to_string(value.as_int());
        return base::Status();
      case ValueKind::kFloat:
        out_ += json_float(value.as_double());
        return base::Status();
      case ValueKind::kString:
        append_escaped(out_, value.as_string(), options_.ensure_ascii);
        return base::Status();
      case ValueKind::kSequence:
        if (!value.is_list_like()) return not_serializable(value);
        return write_array(value.as_sequence().items, level);
      case ValueKind::kDict:
        return write_object(value.as_dict(), level);
      default:
        return not_serializable(value);
    }
  }

 private:
  void newline(int level) {
    if (!options_.indent) return;
    out_ += '\n';
    for (int idx = 0; idx < level; ++idx) out_ += *options_.indent;
  }

  base::Status write_array(const std::vector<Value>& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return base::Status();
    }
    out_ += '[';
    newline(level + 1);
    for (size_t idx = 0; idx < items.size(); ++idx) {
      if (idx > 0) {
        out_ += options_.item_separator;
        newline(level + 1);
      }
      FOVEA_RETURN_IF_ERROR(write(items[idx], level + 1));
    }
    newline(level);
    out_ += ']';
    return base::Status();
  }

  base::Result<std::string> key_string(const Value& key) {
    switch (key.kind()) {
      case ValueKind::kString:
        return key.as_string();
      case ValueKind::kInt:
        return std::to_string(key.as_int());
      case ValueKind::kFloat:
        return json_float(key.as_double());
      case ValueKind::kBool:
        return std::string(key.as_bool() ? "true" : "false");
      case ValueKind::kNone:
        return std::string("null");
      default:
        return base::invalid_argument("keys must be str, int, float, bool or None, not {}", python_type_name(key));
    }
  }

  base::Status write_object(const Dict& dict, int level) {
    if (dict.size() == 0) {
      out_ += "{}";
      return base::Status();
    }
    std::vector<const std::pair<Value, Value>*> entries;
    for (const auto& entry : dict.entries()) entries.push_back(&entry);
    if (options_.sort_keys) {
      base::Status sort_status;
      std::stable_sort(entries.begin(), entries.end(), [&](const auto* a, const auto* b) {
        auto ordered = order_values(a->first, b->first);
        if (!ordered.ok()) {
          if (sort_status.ok()) sort_status = ordered.status();
          return false;
        }
        return *ordered < 0;
      });
      FOVEA_RETURN_IF_ERROR(sort_status);
    }
    out_ += '{';
    newline(level + 1);
    bool first = true;
    for (const auto* entry : entries) {
      if (!first) {
        out_ += options_.item_separator;
        newline(level + 1);
      }
      first = false;
      FOVEA_ASSIGN_OR_RETURN(std::string key, key_string(entry->first));
      append_escaped(out_, key, options_.ensure_ascii);
      out_ += options_.key_separator;
      FOVEA_RETURN_IF_ERROR(write(entry->second, level + 1));
    }
    newline(level);
    out_ += '}';
    return base::Status();
  }

  std::string& out_;
  const JsonDumpOptions& options_;
  uint64_t max_bytes_;
};

base::Result<Value> convert(const nlohmann::ordered_json& json, uint32_t depth, uint32_t max_depth) {
  if (depth > max_depth) {
    return base::invalid_argument("JSON input is nested more than {} levels deep", max_depth);
  }
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::integer(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto number = json.get<uint64_t>();
      if (number > static_cast<uint64_t>(INT64_MAX)) {
        return base::out_of_range("JSON integer {} does not fit in fovea's 64-bit template integers", number);
      }
      return Value::integer(static_cast<int64_t>(number));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value::floating(json.get<double>());
    case nlohmann::ordered_json::value_t::string: {
      const auto& text = json.get_ref<const std::string&>();
      if (!is_valid_utf8(text)) return base::invalid_argument("a JSON string is not valid UTF-8");
      return Value::string(text);
    }
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) {
        FOVEA_ASSIGN_OR_RETURN(Value converted, convert(item, depth + 1, max_depth));
        items.push_back(std::move(converted));
      }
      return Value::sequence(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      auto dict = std::make_shared<Dict>();
      for (const auto& [key, item] : json.items()) {
        if (!is_valid_utf8(key)) return base::invalid_argument("a JSON object key is not valid UTF-8");
        FOVEA_ASSIGN_OR_RETURN(Value converted, convert(item, depth + 1, max_depth));
        FOVEA_RETURN_IF_ERROR(dict->set(Value::string(key), std::move(converted)));
      }
      return Value::dict(std::move(dict));
    }
    case nlohmann::ordered_json::value_t::binary:
      return base::invalid_argument("binary JSON values cannot be passed to a chat template");
  }
  return Value::none();
}

}  // namespace

base::Status dump_json(std::string& out, const Value& value, const JsonDumpOptions& options, uint64_t max_bytes) {
  JsonWriter writer(out, options, max_bytes);
  FOVEA_RETURN_IF_ERROR(writer.write(value, 0));
  if (out.size() > max_bytes) {
    return base::out_of_range("tojson produced more than {} bytes, the limit for one string", max_bytes);
  }
  return base::Status();
}

base::Result<Value> value_from_json(const nlohmann::ordered_json& json, uint32_t max_depth) {
  return convert(json, 0, max_depth);
}

}  // namespace fovea::text::jinja
