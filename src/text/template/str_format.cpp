// str.format() with Python's replacement fields and format-spec mini-language.
#include "text/template/str_format.h"

#include <cmath>
#include <cstdio>

#include "text/template/unicode_text.h"
#include "text/template/value_format.h"

namespace fovea::text::jinja {
namespace {

struct FormatSpec {
  std::string fill = " ";
  char align = '\0';
  char sign = '-';
  bool alternate = false;
  int64_t width = -1;
  char grouping = '\0';
  int64_t precision = -1;
  char type = '\0';
};

base::Result<FormatSpec> parse_spec(std::string_view spec) {
  FormatSpec out;
  size_t pos = 0;
  auto is_align = [](char ch) { return ch == '<' || ch == '>' || ch == '=' || ch == '^'; };
  if (!spec.empty()) {
    size_t after_first = 0;
    next_code_point(spec, after_first);
    if (after_first < spec.size() && is_align(spec[after_first])) {
      out.fill = std::string(spec.substr(0, after_first));
      out.align = spec[after_first];
      pos = after_first + 1;
    } else if (is_align(spec[0])) {
      out.align = spec[0];
      pos = 1;
    }
  }
  if (pos < spec.size() && (spec[pos] == '+' || spec[pos] == '-' || spec[pos] == ' ')) out.sign = spec[pos++];
  if (pos < spec.size() && spec[pos] == 'z') ++pos;
  if (pos < spec.size() && spec[pos] == '#') {
    out.alternate = true;
    ++pos;
  }
  if (pos < spec.size() && spec[pos] == '0') {
    if (out.align == '\0') {
      out.fill = "0";
      out.align = '=';
    }
    ++pos;
  }
  auto read_int = [&](int64_t& target) -> base::Status {
    if (pos >= spec.size() || spec[pos] < '0' || spec[pos] > '9') return base::Status();
    target = 0;
    while (pos < spec.size() && spec[pos] >= '0' && spec[pos] <= '9') {
      target = target * 10 + (spec[pos++] - '0');
      if (target > INT32_MAX) return base::out_of_range("Too many decimal digits in format string");
    }
    return base::Status();
  };
  FOVEA_RETURN_IF_ERROR(read_int(out.width));
  if (pos < spec.size() && (spec[pos] == ',' || spec[pos] == '_')) out.grouping = spec[pos++];
  if (pos < spec.size() && spec[pos] == '.') {
    ++pos;
    if (pos >= spec.size() || spec[pos] < '0' || spec[pos] > '9')
      return base::invalid_argument("Format specifier missing precision");
    FOVEA_RETURN_IF_ERROR(read_int(out.precision));
  }
  if (pos < spec.size()) out.type = spec[pos++];
  if (pos < spec.size()) return base::invalid_argument("Invalid format specifier '{}'", spec);
  return out;
}

// Inserts the grouping character every `every` digits of the integer part of `digits`.
std::string group_digits(const std::string& digits, char separator, int every) {
  size_t int_end = digits.find_first_not_of("0123456789abcdefABCDEF");
  if (int_end == std::string::npos) int_end = digits.size();
  std::string int_part = digits.substr(0, int_end);
  std::string grouped;
  int count = 0;
  for (size_t idx = int_part.size(); idx > 0; --idx) {
    if (count > 0 && count % every == 0) grouped.insert(grouped.begin(), separator);
    grouped.insert(grouped.begin(), int_part[idx - 1]);
    ++count;
  }
  return grouped + digits.substr(int_end);
}

std::string align_text(const std::string& sign, const std::string& body, const FormatSpec& spec, char default_align) {
  char align = spec.align == '\0' ? default_align : spec.align;
  auto length = static_cast<int64_t>(count_code_points(sign) + count_code_points(body));
  if (spec.width <= length) return sign + body;
  auto padding = static_cast<size_t>(spec.width - length);
  auto repeat = [&](size_t count) {
    std::string out;
    for (size_t idx = 0; idx < count; ++idx) out += spec.fill;
    return out;
  };
  switch (align) {
    case '<':
      return sign + body + repeat(padding);
    case '^':
      return repeat(padding / 2) + sign + body + repeat(padding - padding / 2);
    case '=':
      return sign + repeat(padding) + body;
    default:
      return repeat(padding) + sign + body;
  }
}

std::string format_double(const char* format, int precision, double value) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, precision, value);
  return buf;
}

base::Result<std::string> format_float_spec(double value, const FormatSpec& spec, bool from_int) {
  std::string sign = std::signbit(value) && !std::isnan(value) ? "-"
                     : spec.sign == '+'                        ? "+"
                     : spec.sign == ' '                        ? " "
                                                               : "";
  double magnitude = std::fabs(value);
  char type = spec.type;
  std::string body;
  if (std::isinf(magnitude) || std::isnan(magnitude)) {
    body = std::isnan(magnitude) ? "nan" : "inf";
    if (type == 'E' || type == 'F' || type == 'G') body = std::isnan(magnitude) ? "NAN" : "INF";
    if (type == '%') body += "%";
  } else if (type == '\0' && spec.precision < 0) {
    body = from_int ? std::to_string(static_cast<int64_t>(magnitude)) : format_float(magnitude);
  } else {
    if (spec.precision > 400) return base::out_of_range("format precision {} is too large", spec.precision);
    int precision = spec.precision < 0 ? 6 : static_cast<int>(spec.precision);
    switch (type) {
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        std::string format = std::string("%") + (spec.alternate ? "#" : "") + ".*" + type;
        body = format_double(format.c_str(), precision, magnitude);
        break;
      }
      case '%':
        body = format_double(spec.alternate ? "%#.*f" : "%.*f", precision, magnitude * 100.0) + "%";
        break;
      case '\0':
        body = format_double("%.*g", precision == 0 ? 1 : precision, magnitude);
        if (body.find_first_of(".en") == std::string::npos) body += ".0";
        break;
      default:
        return base::invalid_argument("Unknown format code '{}' for object of type 'float'", type);
    }
  }
  if (spec.grouping != '\0') body = group_digits(body, spec.grouping, 3);
  return align_text(sign, body, spec, '>');
}

base::Result<std::string> format_int_spec(int64_t value, const FormatSpec& spec) {
  if (spec.type == 'e' || spec.type == 'E' || spec.type == 'f' || spec.type == 'F' || spec.type == 'g' ||
      spec.type == 'G' || spec.type == '%') {
    return format_float_spec(static_cast<double>(value), spec, true);
  }
  if (spec.precision >= 0) return base::invalid_argument("Precision not allowed in integer format specifier");
  std::string sign = value < 0 ? "-" : spec.sign == '+' ? "+" : spec.sign == ' ' ? " " : "";
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string body;
  std::string prefix;
  int group = 3;
  switch (spec.type) {
    case '\0':
    case 'd':
    case 'n':
      body = std::to_string(magnitude);
      break;
    case 'b':
      for (uint64_t rest = magnitude; rest > 0; rest >>= 1)
        body.insert(body.begin(), static_cast<char>('0' + (rest & 1)));
      if (body.empty()) body = "0";
      prefix = "0b";
      group = 4;
      break;
    case 'o':
    case 'x':
    case 'X': {
      char buf[32];
      std::snprintf(buf, sizeof(buf),
                    spec.type == 'o'   ? "%llo"
                    : spec.type == 'x' ? "%llx"
                                       : "%llX",
                    static_cast<unsigned long long>(magnitude));
      body = buf;
      prefix = spec.type == 'o' ? "0o" : spec.type == 'x' ? "0x" : "0X";
      group = 4;
      break;
    }
    case 'c': {
      if (value < 0 || value > 0x10FFFF) return base::out_of_range("%c arg not in range(0x110000)");
      append_utf8(body, static_cast<char32_t>(value));
      return align_text("", body, spec, '<');
    }
    default:
      return base::invalid_argument("Unknown format code '{}' for object of type 'int'", spec.type);
  }
  if (spec.grouping != '\0') body = group_digits(body, spec.grouping, group);
  if (spec.alternate) sign += prefix;
  return align_text(sign, body, spec, '>');
}

// format(value, spec) for str, int, float and bool; other types accept only an empty spec.
base::Result<std::string> apply_format_spec(const Value& value, std::string_view spec_text, uint64_t max_bytes) {
  if (spec_text.empty()) {
    std::string out;
    FOVEA_RETURN_IF_ERROR(append_str(out, value, max_bytes));
    return out;
  }
  FOVEA_ASSIGN_OR_RETURN(FormatSpec spec, parse_spec(spec_text));
  if (spec.width > static_cast<int64_t>(max_bytes)) {
    return base::out_of_range("a format width of {} is larger than the {} byte string limit", spec.width, max_bytes);
  }
  if (value.is_string()) {
    if (spec.type != '\0' && spec.type != 's') {
      return base::invalid_argument("Unknown format code '{}' for object of type 'str'", spec.type);
    }
    if (spec.sign != '-') return base::invalid_argument("Sign not allowed in string format specifier");
    if (spec.align == '=') return base::invalid_argument("'=' alignment not allowed in string format specifier");
    std::string body = value.as_string();
    if (spec.precision >= 0) body = encode_utf8(decode_utf8(body).substr(0, static_cast<size_t>(spec.precision)));
    return align_text("", body, spec, '<');
  }
  if (value.is_int() || value.is_bool()) return format_int_spec(value.as_int(), spec);
  if (value.is_float()) return format_float_spec(value.as_double(), spec, false);
  return base::invalid_argument("unsupported format string passed to {}.__format__", python_type_name(value));
}

}  // namespace

base::Result<Value> str_format(Evaluator& evaluator, std::string_view format, const CallArgs& args) {
  uint64_t max_bytes = evaluator.limits().max_string_bytes;
  std::string out;
  size_t pos = 0;
  int auto_index = 0;
  bool used_auto = false;
  bool used_manual = false;

  auto resolve = [&](std::string_view field) -> base::Result<Value> {
    size_t name_end = field.find_first_of(".[");
    std::string_view first = field.substr(0, name_end);
    Value value;
    bool numeric = !first.empty() && first.find_first_not_of("0123456789") == std::string_view::npos;
    if (first.empty() || numeric) {
      if (first.empty()) {
        if (used_manual)
          return base::invalid_argument("cannot switch from manual field specification to automatic field numbering");
        used_auto = true;
      } else {
        if (used_auto)
          return base::invalid_argument("cannot switch from automatic field numbering to manual field specification");
        used_manual = true;
      }
      size_t index = first.empty() ? static_cast<size_t>(auto_index++) : std::stoul(std::string(first.substr(0, 9)));
      if (index >= args.positional.size()) {
        return base::invalid_argument("Replacement index {} out of range for positional args tuple", index);
      }
      value = args.positional[index];
    } else {
      bool found = false;
      for (const auto& [name, keyword_value] : args.keywords) {
        if (name == first) {
          value = keyword_value;
          found = true;
        }
      }
      if (!found) return base::invalid_argument("KeyError: '{}' in str.format()", first);
    }
    size_t cur = name_end;
    while (cur != std::string_view::npos && cur < field.size()) {
      if (field[cur] == '.') {
        size_t next = field.find_first_of(".[", cur + 1);
        FOVEA_ASSIGN_OR_RETURN(value, evaluator.get_attribute(value, field.substr(cur + 1, next - cur - 1)));
        cur = next;
      } else {
        size_t close = field.find(']', cur);
        if (close == std::string_view::npos) return base::invalid_argument("Missing ']' in format string");
        std::string_view key = field.substr(cur + 1, close - cur - 1);
        bool key_numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string_view::npos;
        Value key_value =
            key_numeric ? Value::integer(std::stoll(std::string(key.substr(0, 18)))) : Value::string(std::string(key));
        FOVEA_ASSIGN_OR_RETURN(value, evaluator.get_item(value, key_value));
        cur = close + 1;
        if (cur < field.size() && field[cur] != '.' && field[cur] != '[') {
          return base::invalid_argument("Only '.' or '[' may follow ']' in format field specifier");
        }
      }
    }
    return value;
  };

  while (pos < format.size()) {
    char ch = format[pos];
    if (ch == '}') {
      if (pos + 1 < format.size() && format[pos + 1] == '}') {
        out += '}';
        pos += 2;
        continue;
      }
      return base::invalid_argument("Single '}}' encountered in format string");
    }
    if (ch != '{') {
      out += ch;
      ++pos;
      continue;
    }
    if (pos + 1 < format.size() && format[pos + 1] == '{') {
      out += '{';
      pos += 2;
      continue;
    }
    int depth = 1;
    size_t end = pos + 1;
    for (; end < format.size() && depth > 0; ++end) {
      if (format[end] == '{') ++depth;
      if (format[end] == '}') --depth;
    }
    if (depth != 0) return base::invalid_argument("expected '}}' before end of string");
    std::string_view field = format.substr(pos + 1, end - pos - 2);
    pos = end;
    size_t bracket_end = field.rfind(']');
    size_t search_from = bracket_end == std::string_view::npos ? 0 : bracket_end;
    size_t colon = field.find(':', search_from);
    size_t bang = field.find('!', search_from);
    if (bang != std::string_view::npos && colon != std::string_view::npos && bang > colon)
      bang = std::string_view::npos;
    std::string_view name = field.substr(0, std::min(colon, bang));
    char conversion = '\0';
    if (bang != std::string_view::npos) {
      if (bang + 1 >= field.size())
        return base::invalid_argument("end of string while looking for conversion specifier");
      conversion = field[bang + 1];
    }
    std::string spec(colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1));
    if (spec.find('{') != std::string::npos) {
      CallArgs nested_args = args;
      FOVEA_ASSIGN_OR_RETURN(Value nested, str_format(evaluator, spec, nested_args));
      spec = nested.as_string();
    }
    FOVEA_ASSIGN_OR_RETURN(Value value, resolve(name));
    if (conversion == 'r' || conversion == 'a' || conversion == 's') {
      std::string converted;
      FOVEA_RETURN_IF_ERROR(conversion == 's' ? append_str(converted, value, max_bytes)
                                              : append_repr(converted, value, max_bytes));
      value = Value::string(std::move(converted));
    } else if (conversion != '\0') {
      return base::invalid_argument("Unknown conversion specifier {}", conversion);
    }
    FOVEA_ASSIGN_OR_RETURN(std::string piece, apply_format_spec(value, spec, max_bytes));
    out += piece;
    if (out.size() > max_bytes) {
      return base::out_of_range("str.format() produced more than {} bytes, the limit for one string", max_bytes);
    }
  }
  return Value::string(std::move(out));
}

}  // namespace fovea::text::jinja
