// Python str()/repr() of template values, including float repr.
#include "text/template/value_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "text/template/unicode_text.h"

namespace fovea::text::jinja {
namespace {

// A namespace can contain itself; printing stops at this depth instead of recursing forever.
constexpr int kMaxPrintDepth = 200;

constexpr uint64_t kDisplayLimitBytes = uint64_t{1} << 20;

base::Status print(std::string& out, const Value& value, uint64_t max_bytes, bool as_repr, int depth);

base::Status check_size(const std::string& out, uint64_t max_bytes) {
  if (out.size() > max_bytes) {
    return base::out_of_range("printing a value produced more than {} bytes, the limit for one string", max_bytes);
  }
  return base::Status();
}

base::Status print_items(std::string& out, const std::vector<Value>& items, uint64_t max_bytes, int depth) {
  for (size_t idx = 0; idx < items.size(); ++idx) {
    if (idx > 0) out += ", ";
    FOVEA_RETURN_IF_ERROR(print(out, items[idx], max_bytes, true, depth + 1));
    FOVEA_RETURN_IF_ERROR(check_size(out, max_bytes));
  }
  return base::Status();
}

base::Status print_dict_body(std::string& out, const Dict& dict, uint64_t max_bytes, int depth) {
  out += '{';
  bool first = true;
  for (const auto& [key, item] : dict.entries()) {
    if (!first) out += ", ";
    first = false;
    FOVEA_RETURN_IF_ERROR(print(out, key, max_bytes, true, depth + 1));
    out += ": ";
    FOVEA_RETURN_IF_ERROR(print(out, item, max_bytes, true, depth + 1));
    FOVEA_RETURN_IF_ERROR(check_size(out, max_bytes));
  }
  out += '}';
  return base::Status();
}

base::Status print_sequence(std::string& out, const Sequence& seq, uint64_t max_bytes, int depth) {
  switch (seq.kind) {
    case SequenceKind::kList:
      out += '[';
      FOVEA_RETURN_IF_ERROR(print_items(out, seq.items, max_bytes, depth));
      out += ']';
      return base::Status();
    case SequenceKind::kTuple:
      out += '(';
      FOVEA_RETURN_IF_ERROR(print_items(out, seq.items, max_bytes, depth));
      if (seq.items.size() == 1) out += ',';
      out += ')';
      return base::Status();
    case SequenceKind::kRange:
      out += "range(" + std::to_string(seq.range_start) + ", " + std::to_string(seq.range_stop);
      if (seq.range_step != 1) out += ", " + std::to_string(seq.range_step);
      out += ')';
      return base::Status();
    case SequenceKind::kIterator:
      out += "<generator object>";
      return base::Status();
    case SequenceKind::kItemsView:
    case SequenceKind::kKeysView:
    case SequenceKind::kValuesView:
      out += seq.kind == SequenceKind::kItemsView  ? "dict_items(["
             : seq.kind == SequenceKind::kKeysView ? "dict_keys(["
                                                   : "dict_values([";
      FOVEA_RETURN_IF_ERROR(print_items(out, seq.items, max_bytes, depth));
      out += "])";
      return base::Status();
  }
  return base::Status();
}

base::Status print(std::string& out, const Value& value, uint64_t max_bytes, bool as_repr, int depth) {
  if (depth > kMaxPrintDepth) {
    return base::out_of_range("a value is nested more than {} levels deep (does a namespace contain itself?)",
                              kMaxPrintDepth);
  }
  switch (value.kind()) {
    case ValueKind::kUndefined:
      if (as_repr) out += "Undefined";
      return base::Status();
    case ValueKind::kNone:
      out += "None";
      return base::Status();
    case ValueKind::kBool:
      out += value.as_bool() ? "True" : "False";
      return base::Status();
    case ValueKind::kInt:
      out += std::to_string(value.as_int());
      return base::Status();
    case ValueKind::kFloat:
      out += format_float(value.as_double());
      return base::Status();
    case ValueKind::kString:
      if (as_repr) {
        append_string_repr(out, value.as_string());
      } else {
        out += value.as_string();
      }
      return check_size(out, max_bytes);
    case ValueKind::kSequence:
      return print_sequence(out, value.as_sequence(), max_bytes, depth);
    case ValueKind::kDict:
      return print_dict_body(out, value.as_dict(), max_bytes, depth);
    case ValueKind::kNamespace: {
      out += "<Namespace {";
      bool first = true;
      for (const auto& [name, item] : value.as_namespace().attributes()) {
        if (!first) out += ", ";
        first = false;
        append_string_repr(out, name);
        out += ": ";
        FOVEA_RETURN_IF_ERROR(print(out, item, max_bytes, true, depth + 1));
        FOVEA_RETURN_IF_ERROR(check_size(out, max_bytes));
      }
      out += "}>";
      return base::Status();
    }
    case ValueKind::kObject:
      out += value.as_object().repr();
      return base::Status();
  }
  return base::Status();
}

void append_hex(std::string& out, char prefix, uint32_t code_point, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\%c%0*x", prefix, digits, code_point);
  out += buf;
}

}  // namespace

std::string format_float(double number) {
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number > 0 ? "inf" : "-inf";
  if (number == 0.0) return std::signbit(number) ? "-0.0" : "0.0";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), number, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char ch : sci.substr(0, e_pos)) {
    if (ch != '.') digits += ch;
  }
  int exponent = std::stoi(std::string(sci.substr(e_pos + 1)));
  int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp_buf;
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(decpt) - digits.size(), '0');
    out += ".0";
  } else {
    out += digits.substr(0, static_cast<size_t>(decpt));
    out += '.';
    out += digits.substr(static_cast<size_t>(decpt));
  }
  return out;
}

void append_string_repr(std::string& out, std::string_view text) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = next_code_point(text, pos);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex(out, 'x', c, 2);
    } else if (c < 0x7F) {
      out += static_cast<char>(c);
    } else if (python_isprintable_char(c)) {
      append_utf8(out, c);
    } else if (c <= 0xFF) {
      append_hex(out, 'x', c, 2);
    } else if (c <= 0xFFFF) {
      append_hex(out, 'u', c, 4);
    } else {
      append_hex(out, 'U', c, 8);
    }
  }
  out += quote;
}

std::string python_type_name(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kUndefined:
      return "Undefined";
    case ValueKind::kNone:
      return "NoneType";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kString:
      return "str";
    case ValueKind::kSequence:
      switch (value.as_sequence().kind) {
        case SequenceKind::kList:
          return "list";
        case SequenceKind::kTuple:
          return "tuple";
        case SequenceKind::kRange:
          return "range";
        case SequenceKind::kIterator:
          return "generator";
        case SequenceKind::kItemsView:
          return "dict_items";
        case SequenceKind::kKeysView:
          return "dict_keys";
        case SequenceKind::kValuesView:
          return "dict_values";
      }
      return "list";
    case ValueKind::kDict:
      return "dict";
    case ValueKind::kNamespace:
      return "Namespace";
    case ValueKind::kObject:
      return value.as_object().type_name();
  }
  return "object";
}

base::Status append_str(std::string& out, const Value& value, uint64_t max_bytes) {
  return print(out, value, max_bytes, false, 0);
}

base::Status append_repr(std::string& out, const Value& value, uint64_t max_bytes) {
  return print(out, value, max_bytes, true, 0);
}

std::string undefined_message(const Value& value) {
  const UndefinedInfo* info = value.undefined_info();
  if (info == nullptr) return "a value is undefined";
  if (!info->hint.empty()) return info->hint;
  if (info->owner_type.empty()) {
    std::string out;
    append_string_repr(out, info->name);
    return out + " is undefined";
  }
  if (!info->name_is_string) return info->owner_type + " has no element " + info->name;
  std::string out;
  append_string_repr(out, info->owner_type);
  out += " has no attribute ";
  append_string_repr(out, info->name);
  return out;
}

std::string to_display_repr(const Value& value) {
  std::string out;
  if (!append_repr(out, value, kDisplayLimitBytes).ok()) return "<value too large to print>";
  return out;
}

std::string to_display_string(const Value& value) {
  std::string out;
  if (!append_str(out, value, kDisplayLimitBytes).ok()) return "<value too large to print>";
  return out;
}

}  // namespace fovea::text::jinja
