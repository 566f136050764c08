// Scalar and string filters (jinja2/filters.py), transformers' tojson, and the filter registry.
#include "text/template/filters.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "text/template/call_args.h"
#include "text/template/json_value.h"
#include "text/template/methods.h"
#include "text/template/percent_format.h"
#include "text/template/string_methods.h"
#include "text/template/unicode_text.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

std::string what(std::string_view name) { return "filter '" + std::string(name) + "'"; }

base::Result<std::vector<Value>> bind(std::string_view name, const CallArgs& args,
                                      std::initializer_list<ParamSpec> params) {
  return bind_args(what(name), args, params);
}

base::Status undefined_error(const Value& value) { return base::invalid_argument("{}", undefined_message(value)); }

// Python's int(text, base): optional sign, base prefix, digits with single underscores; nullopt when invalid.
std::optional<int64_t> parse_python_int(std::string_view text, int64_t base) {
  std::string trimmed = python_strip(text, nullptr, true, true);
  std::string_view digits = trimmed;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.size() >= 2 && digits[0] == '0') {
    char prefix = static_cast<char>(digits[1] | 0x20);
    int64_t prefix_base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : prefix == 'b' ? 2 : 0;
    if (prefix_base != 0 && (base == prefix_base || base == 0)) {
      base = prefix_base;
      digits.remove_prefix(2);
      if (!digits.empty() && digits[0] == '_') digits.remove_prefix(1);
    }
  }
  if (base == 0) base = 10;
  if (base < 2 || base > 36 || digits.empty()) return std::nullopt;
  uint64_t value = 0;
  bool last_was_digit = false;
  for (char ch : digits) {
    if (ch == '_') {
      if (!last_was_digit) return std::nullopt;
      last_was_digit = false;
      continue;
    }
    int digit = ch >= '0' && ch <= '9'                     ? ch - '0'
                : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z' ? (ch | 0x20) - 'a' + 10
                                                           : 99;
    if (digit >= base) return std::nullopt;
    if (value > (static_cast<uint64_t>(INT64_MAX) + 1 - static_cast<uint64_t>(digit)) / static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
    last_was_digit = true;
  }
  if (!last_was_digit) return std::nullopt;
  if (!negative && value > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
}

// Python's float(text); nullopt when invalid.
std::optional<double> parse_python_float(std::string_view text) {
  std::string trimmed = python_strip(text, nullptr, true, true);
  std::string lowered = to_lower(trimmed);
  std::string_view body = lowered;
  std::string sign;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    sign = body.substr(0, 1);
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return sign == "-" ? -INFINITY : INFINITY;
  if (body == "nan") return NAN;
  std::string clean = sign;
  bool digits_seen = false;
  bool last_was_digit = false;
  for (size_t idx = 0; idx < body.size(); ++idx) {
    char ch = body[idx];
    if (ch == '_') {
      if (!last_was_digit || idx + 1 >= body.size() || body[idx + 1] < '0' || body[idx + 1] > '9') return std::nullopt;
      continue;
    }
    last_was_digit = ch >= '0' && ch <= '9';
    digits_seen |= last_was_digit;
    if (!last_was_digit && ch != '.' && ch != 'e' && ch != '+' && ch != '-') return std::nullopt;
    clean += ch;
  }
  if (!digits_seen) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return value;
}

base::Result<Value> filter_int(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound, bind("int", args, {{"default", false, Value::integer(0)}, {"base", false, Value::integer(10)}}));
  if (input.is_undefined()) return undefined_error(input);
  if (input.is_string()) {
    if (bound[1].is_int()) {
      if (auto parsed = parse_python_int(input.as_string(), bound[1].as_int())) return Value::integer(*parsed);
    }
    if (auto parsed = parse_python_float(input.as_string())) {
      if (std::isfinite(*parsed) && std::fabs(*parsed) < 9.2e18) return Value::integer(static_cast<int64_t>(*parsed));
    }
    return bound[0];
  }
  if (input.is_number()) {
    auto converted = to_int(input);
    return converted.ok() ? Value::integer(*converted) : bound[0];
  }
  return bound[0];
}

base::Result<Value> filter_float(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("float", args, {{"default", false, Value::floating(0.0)}}));
  if (input.is_undefined()) return undefined_error(input);
  if (input.is_number()) return Value::floating(input.as_double());
  if (input.is_string()) {
    if (auto parsed = parse_python_float(input.as_string())) return Value::floating(*parsed);
  }
  return bound[0];
}

base::Result<Value> filter_abs(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("abs", args, {}).status());
  if (input.is_float()) return Value::floating(std::fabs(input.as_double()));
  if (input.is_int() || input.is_bool()) {
    if (input.as_int() == INT64_MIN) return base::out_of_range("abs() overflows fovea's 64-bit template integers");
    return Value::integer(input.as_int() < 0 ? -input.as_int() : input.as_int());
  }
  if (input.is_undefined()) return undefined_error(input);
  return base::invalid_argument("bad operand type for abs(): '{}'", python_type_name(input));
}

// Python's round(x, ndigits) for floats: correctly rounded, ties to even.
double python_round(double value, int64_t ndigits) {
  if (!std::isfinite(value)) return value;
  if (ndigits > 300) return value;
  if (ndigits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(ndigits), value);
    return std::strtod(buf, nullptr);
  }
  if (ndigits < -308) return std::copysign(0.0, value);
  double pow10 = std::pow(10.0, static_cast<double>(-ndigits));
  double scaled = value / pow10;
  double rounded = std::nearbyint(scaled);
  return rounded * pow10;
}

base::Result<Value> filter_round(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound,
      bind("round", args, {{"precision", false, Value::integer(0)}, {"method", false, Value::string("common")}}));
  if (!bound[1].is_string() ||
      (bound[1].as_string() != "common" && bound[1].as_string() != "ceil" && bound[1].as_string() != "floor")) {
    return base::invalid_argument("method must be common, ceil or floor");
  }
  if (input.is_undefined()) return undefined_error(input);
  if (!input.is_number()) {
    return base::invalid_argument("type {} doesn't define __round__ method", python_type_name(input));
  }
  if (!bound[0].is_int() && !bound[0].is_bool()) {
    return base::invalid_argument("'{}' object cannot be interpreted as an integer", python_type_name(bound[0]));
  }
  int64_t precision = bound[0].as_int();
  const std::string& method = bound[1].as_string();
  if (method == "common") {
    if (!input.is_float() && precision >= 0) return Value::integer(input.as_int());
    return Value::floating(python_round(input.as_double(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double scaled = input.as_double() * scale;
  return Value::floating((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

base::Result<Value> filter_default(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound,
      bind("default", args, {{"default_value", false, Value::string("")}, {"boolean", false, Value::boolean(false)}}));
  if (input.is_undefined() || (truthy(bound[1]) && !truthy(input))) return bound[0];
  return input;
}

base::Result<Value> filter_length(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("length", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(int64_t length, length_of(input));
  return Value::integer(length);
}

base::Result<Value> filter_first(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("first", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(input));
  if (items.empty()) return Value::undefined(UndefinedInfo{"", "", "No first item, sequence was empty."});
  return items.front();
}

base::Result<Value> filter_last(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("last", args, {}).status());
  if (input.is_sequence() && input.as_sequence().kind == SequenceKind::kIterator) {
    return base::invalid_argument("'generator' object is not reversible");
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(input));
  if (items.empty()) return Value::undefined(UndefinedInfo{"", "", "No last item, sequence was empty."});
  return items.back();
}

base::Result<Value> filter_list(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("list", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(input));
  return Value::sequence(std::move(items));
}

base::Result<Value> filter_items(Evaluator&, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("items", args, {}).status());
  if (input.is_undefined()) return Value::sequence({}, SequenceKind::kIterator);
  if (!input.is_dict()) return base::invalid_argument("Can only get item pairs from a mapping.");
  std::vector<Value> items;
  for (const auto& [key, value] : input.as_dict().entries()) items.push_back(Value::tuple({key, value}));
  return Value::sequence(std::move(items), SequenceKind::kIterator);
}

base::Result<Value> filter_attr(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("attr", args, {{"name", true}}));
  if (!bound[0].is_string()) return base::invalid_argument("attribute name must be a string");
  const std::string& name = bound[0].as_string();
  bool has_attribute = find_method(input, name) != MethodSafety::kNone ||
                       (input.is_namespace() && input.as_namespace().find(name) != nullptr) || input.is_object();
  if (!has_attribute) {
    UndefinedInfo info;
    info.name = name;
    info.owner_type = input.is_none() ? "None" : python_type_name(input) + " object";
    return Value::undefined(std::move(info));
  }
  return evaluator.get_attribute(input, name);
}

// Filters that apply one str method to str(input).
template <std::string_view const* kMethod>
base::Result<Value> string_method_filter(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  return call_method(evaluator, Value::string(std::move(text)), *kMethod, args);
}
constexpr std::string_view kUpper = "upper";
constexpr std::string_view kLower = "lower";
constexpr std::string_view kCapitalize = "capitalize";
constexpr std::string_view kStrip = "strip";
constexpr std::string_view kCenter = "center";

base::Result<Value> filter_string(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("string", args, {}).status());
  if (input.is_string()) return input;
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  return Value::string(std::move(text));
}

base::Result<Value> filter_escape(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("escape", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return Value::string(std::move(out));
}

base::Result<Value> filter_replace(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("replace", args, {{"old", true}, {"new", true}, {"count"}}));
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  FOVEA_ASSIGN_OR_RETURN(std::string old_text, evaluator.to_str(bound[0]));
  FOVEA_ASSIGN_OR_RETURN(std::string new_text, evaluator.to_str(bound[1]));
  CallArgs method_args;
  method_args.positional = {Value::string(std::move(old_text)), Value::string(std::move(new_text))};
  if (!bound[2].is_undefined() && !bound[2].is_none()) method_args.positional.push_back(bound[2]);
  return call_method(evaluator, Value::string(std::move(text)), "replace", method_args);
}

base::Result<Value> filter_title(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("title", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  // jinja2 splits on runs of `-`, whitespace and opening brackets and title-cases each piece.
  std::u32string code_points = decode_utf8(text);
  auto is_separator = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_python_space(c);
  };
  std::string out;
  size_t idx = 0;
  while (idx < code_points.size()) {
    size_t end = idx;
    bool separator = is_separator(code_points[idx]);
    while (end < code_points.size() && is_separator(code_points[end]) == separator) ++end;
    std::u32string_view piece = std::u32string_view(code_points).substr(idx, end - idx);
    out += to_upper(encode_utf8(piece.substr(0, 1)));
    out += to_lower(encode_utf8(piece.substr(1)));
    idx = end;
  }
  return Value::string(std::move(out));
}

base::Result<Value> filter_format(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  if (!args.positional.empty() && !args.keywords.empty()) {
    return base::invalid_argument("can't handle positional and keyword arguments at the same time");
  }
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  if (!args.keywords.empty()) {
    auto dict = std::make_shared<Dict>();
    for (const auto& [name, value] : args.keywords) FOVEA_RETURN_IF_ERROR(dict->set(Value::string(name), value));
    return percent_format(text, Value::dict(std::move(dict)), evaluator.limits());
  }
  return percent_format(text, Value::tuple(args.positional), evaluator.limits());
}

base::Result<Value> filter_indent(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("indent", args,
                                          {{"width", false, Value::integer(4)},
                                           {"first", false, Value::boolean(false)},
                                           {"blank", false, Value::boolean(false)}}));
  if (input.is_undefined()) return undefined_error(input);
  if (!input.is_string()) {
    return base::invalid_argument("unsupported operand type(s) for +=: '{}' and 'str'", python_type_name(input));
  }
  std::string indention;
  if (bound[0].is_string()) {
    indention = bound[0].as_string();
  } else if (bound[0].is_int() || bound[0].is_bool()) {
    int64_t width = bound[0].as_int();
    if (width > static_cast<int64_t>(evaluator.limits().max_string_bytes))
      return base::out_of_range("indent width is too large");
    indention.assign(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  } else {
    return base::invalid_argument("can't multiply sequence by non-int of type '{}'", python_type_name(bound[0]));
  }
  std::vector<std::string> lines = python_splitlines(input.as_string() + "\n", false);
  uint64_t estimate = input.as_string().size() + (lines.size() + 1) * (indention.size() + 1);
  if (estimate > evaluator.limits().max_string_bytes)
    return base::out_of_range("indent would build a string that is too large");
  std::string out;
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    if (idx > 0) out += '\n';
    bool indent_line = idx > 0 && (truthy(bound[2]) || !lines[idx].empty());
    if (indent_line) out += indention;
    out += lines[idx];
  }
  if (truthy(bound[1])) out = indention + out;
  return Value::string(std::move(out));
}

base::Result<Value> filter_truncate(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("truncate", args,
                                          {{"length", false, Value::integer(255)},
                                           {"killwords", false, Value::boolean(false)},
                                           {"end", false, Value::string("...")},
                                           {"leeway", false, Value::integer(5)}}));
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  if (!bound[0].is_int() || !bound[2].is_string() || (!bound[3].is_int() && !bound[3].is_none())) {
    return base::invalid_argument("truncate() arguments have the wrong types");
  }
  int64_t length = bound[0].as_int();
  int64_t leeway = bound[3].is_none() ? 5 : bound[3].as_int();
  std::u32string end = decode_utf8(bound[2].as_string());
  if (length < static_cast<int64_t>(end.size())) {
    return base::invalid_argument("expected length >= {}, got {}", end.size(), length);
  }
  if (leeway < 0) return base::invalid_argument("expected leeway >= 0, got {}", leeway);
  std::u32string code_points = decode_utf8(text);
  if (static_cast<int64_t>(code_points.size()) <= length + leeway) return Value::string(text);
  std::u32string kept = code_points.substr(0, static_cast<size_t>(length) - end.size());
  if (!truthy(bound[1])) {
    size_t space = kept.rfind(U' ');
    if (space != std::u32string::npos) kept = kept.substr(0, space);
  }
  return Value::string(encode_utf8(kept + end));
}

base::Result<Value> filter_wordcount(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind("wordcount", args, {}).status());
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(input));
  int64_t count = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < text.size()) {
    bool word = is_word_char(next_code_point(text, pos));
    if (word && !in_word) ++count;
    in_word = word;
  }
  return Value::integer(count);
}

// transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
base::Result<Value> filter_tojson(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind("tojson", args,
                                          {{"ensure_ascii", false, Value::boolean(false)},
                                           {"indent", false, Value::none()},
                                           {"separators", false, Value::none()},
                                           {"sort_keys", false, Value::boolean(false)}}));
  JsonDumpOptions options;
  options.ensure_ascii = truthy(bound[0]);
  options.sort_keys = truthy(bound[3]);
  if (bound[1].is_string()) {
    options.indent = bound[1].as_string();
  } else if (bound[1].is_int() || bound[1].is_bool()) {
    int64_t width = bound[1].as_int();
    if (width > 4096) return base::out_of_range("tojson indent {} is too large", width);
    options.indent = std::string(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  } else if (!bound[1].is_none()) {
    return base::invalid_argument("tojson indent must be an int, a str or None, not {}", python_type_name(bound[1]));
  }
  if (bound[2].is_none()) {
    options.item_separator = options.indent ? "," : ", ";
  } else {
    if (!bound[2].is_list_like() || bound[2].as_sequence().items.size() != 2 ||
        !bound[2].as_sequence().items[0].is_string() || !bound[2].as_sequence().items[1].is_string()) {
      return base::invalid_argument("tojson separators must be a pair of strings");
    }
    options.item_separator = bound[2].as_sequence().items[0].as_string();
    options.key_separator = bound[2].as_sequence().items[1].as_string();
  }
  std::string out;
  FOVEA_RETURN_IF_ERROR(dump_json(out, input, options, evaluator.limits().max_string_bytes));
  return Value::string(std::move(out));
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

constexpr FilterEntry kFilters[] = {
    {"abs", filter_abs},
    {"attr", filter_attr},
    {"capitalize", string_method_filter<&kCapitalize>},
    {"center", string_method_filter<&kCenter>},
    {"count", filter_length},
    {"d", filter_default},
    {"default", filter_default},
    {"e", filter_escape},
    {"escape", filter_escape},
    {"first", filter_first},
    {"float", filter_float},
    {"forceescape", filter_escape},
    {"format", filter_format},
    {"indent", filter_indent},
    {"int", filter_int},
    {"items", filter_items},
    {"last", filter_last},
    {"length", filter_length},
    {"list", filter_list},
    {"lower", string_method_filter<&kLower>},
    {"replace", filter_replace},
    {"round", filter_round},
    {"safe", filter_string},
    {"string", filter_string},
    {"title", filter_title},
    {"tojson", filter_tojson},
    {"trim", string_method_filter<&kStrip>},
    {"truncate", filter_truncate},
    {"upper", string_method_filter<&kUpper>},
    {"wordcount", filter_wordcount},
};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const FilterEntry& entry : kFilters) {
    if (entry.name == name) return entry.fn;
  }
  return find_sequence_filter(name);
}

bool is_unsupported_filter(std::string_view name) {
  for (std::string_view unsupported :
       {"filesizeformat", "groupby", "pprint", "random", "striptags", "urlencode", "urlize", "wordwrap", "xmlattr"}) {
    if (name == unsupported) return true;
  }
  return false;
}

}  // namespace fovea::text::jinja
