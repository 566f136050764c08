// str methods with Python semantics.
#include "text/template/string_methods.h"

#include <algorithm>
#include <iterator>

#include "text/template/call_args.h"
#include "text/template/str_format.h"
#include "text/template/unicode_text.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

constexpr std::string_view kStringMethods[] = {
    "capitalize", "casefold",    "center",       "count",        "endswith",   "expandtabs", "find",         "format",
    "index",      "isalnum",     "isalpha",      "isascii",      "isdecimal",  "isdigit",    "isidentifier", "islower",
    "isnumeric",  "isprintable", "isspace",      "istitle",      "isupper",    "join",       "ljust",        "lower",
    "lstrip",     "partition",   "removeprefix", "removesuffix", "replace",    "rfind",      "rindex",       "rjust",
    "rpartition", "rsplit",      "rstrip",       "split",        "splitlines", "startswith", "strip",        "swapcase",
    "title",      "upper",       "zfill",        "format_map",   "encode",     "translate"};

base::Status type_error(std::string_view method, std::string_view what, const Value& got) {
  return base::invalid_argument("str.{}() argument must be {}, not {}", method, what, python_type_name(got));
}

bool is_line_break(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
         c == 0x2028 || c == 0x2029;
}

// Byte offset of code point `index` (clamped to the string).
size_t byte_offset(std::string_view text, int64_t index) {
  size_t pos = 0;
  for (int64_t idx = 0; idx < index && pos < text.size(); ++idx) next_code_point(text, pos);
  return pos;
}

// Resolves Python's optional start/end arguments to a clamped code point range of a string of `length`.
base::Status resolve_range(const Value& start_value, const Value& end_value, int64_t length, int64_t& start,
                           int64_t& end) {
  auto read = [&](const Value& value, int64_t fallback, int64_t& out) -> base::Status {
    if (value.is_undefined() || value.is_none()) {
      out = fallback;
      return base::Status();
    }
    if (!value.is_int() && !value.is_bool()) {
      return base::invalid_argument("slice indices must be integers or None");
    }
    out = value.as_int();
    if (out < 0) out = std::max<int64_t>(0, out + length);
    out = std::min(out, length);
    return base::Status();
  };
  FOVEA_RETURN_IF_ERROR(read(start_value, 0, start));
  return read(end_value, length, end);
}

// find/rfind/index/rindex/count over text[start:end].
base::Result<Value> search(std::string_view name, const std::string& text, const std::vector<Value>& bound) {
  if (!bound[0].is_string()) return type_error(name, "str", bound[0]);
  const std::string& needle = bound[0].as_string();
  auto length = static_cast<int64_t>(count_code_points(text));
  int64_t start = 0;
  int64_t end = 0;
  FOVEA_RETURN_IF_ERROR(resolve_range(bound[1], bound[2], length, start, end));
  bool reverse = name == "rfind" || name == "rindex";
  bool raises = name == "index" || name == "rindex";
  if (start > end) {
    if (name == "count") return Value::integer(0);
    if (raises) return base::invalid_argument("substring not found");
    return Value::integer(-1);
  }
  size_t begin_byte = byte_offset(text, start);
  size_t end_byte = begin_byte + byte_offset(std::string_view(text).substr(begin_byte), end - start);
  std::string_view window = std::string_view(text).substr(begin_byte, end_byte - begin_byte);
  if (name == "count") {
    if (needle.empty()) return Value::integer(end - start + 1);
    int64_t count = 0;
    for (size_t pos = window.find(needle); pos != std::string_view::npos;
         pos = window.find(needle, pos + needle.size())) {
      ++count;
    }
    return Value::integer(count);
  }
  size_t found = reverse ? window.rfind(needle) : window.find(needle);
  if (found == std::string_view::npos) {
    if (raises) return base::invalid_argument("substring not found");
    return Value::integer(-1);
  }
  return Value::integer(start + static_cast<int64_t>(count_code_points(window.substr(0, found))));
}

base::Result<Value> starts_or_ends(std::string_view name, const std::string& text, const std::vector<Value>& bound) {
  auto length = static_cast<int64_t>(count_code_points(text));
  int64_t start = 0;
  int64_t end = 0;
  FOVEA_RETURN_IF_ERROR(resolve_range(bound[1], bound[2], length, start, end));
  std::vector<Value> candidates;
  if (bound[0].is_string()) {
    candidates.push_back(bound[0]);
  } else if (bound[0].is_sequence() && bound[0].as_sequence().kind == SequenceKind::kTuple) {
    candidates = bound[0].as_sequence().items;
  } else {
    return base::invalid_argument("{} first arg must be str or a tuple of str, not {}", name,
                                  python_type_name(bound[0]));
  }
  if (start > end) return Value::boolean(false);
  size_t begin_byte = byte_offset(text, start);
  size_t end_byte = begin_byte + byte_offset(std::string_view(text).substr(begin_byte), end - start);
  std::string_view window = std::string_view(text).substr(begin_byte, end_byte - begin_byte);
  for (const Value& candidate : candidates) {
    if (!candidate.is_string()) {
      return base::invalid_argument("tuple for {} must only contain str, not {}", name, python_type_name(candidate));
    }
    const std::string& affix = candidate.as_string();
    if (affix.size() > window.size()) continue;
    bool match = name == "startswith" ? window.substr(0, affix.size()) == affix
                                      : window.substr(window.size() - affix.size()) == affix;
    if (match) return Value::boolean(true);
  }
  return Value::boolean(false);
}

base::Result<std::string> fill_char(std::string_view name, const Value& value) {
  if (value.is_undefined()) return std::string(" ");
  if (!value.is_string() || count_code_points(value.as_string()) != 1) {
    return base::invalid_argument("{}() argument 2 must be a single character", name);
  }
  return value.as_string();
}

base::Result<Value> justify(Evaluator& evaluator, std::string_view name, const std::string& text,
                            const std::vector<Value>& bound) {
  if (!bound[0].is_int() && !bound[0].is_bool()) return type_error(name, "int", bound[0]);
  int64_t width = bound[0].as_int();
  FOVEA_ASSIGN_OR_RETURN(std::string fill, fill_char(name, bound[1]));
  auto length = static_cast<int64_t>(count_code_points(text));
  if (width <= length) return Value::string(text);
  auto margin = static_cast<uint64_t>(width - length);
  if (margin * fill.size() > evaluator.limits().max_string_bytes) {
    return base::out_of_range("str.{}() would build a string larger than the {} byte limit", name,
                              evaluator.limits().max_string_bytes);
  }
  uint64_t left = 0;
  if (name == "center") {
    left = margin / 2 + (margin & static_cast<uint64_t>(width) & 1);
  } else if (name == "rjust") {
    left = margin;
  }
  std::string out;
  for (uint64_t idx = 0; idx < left; ++idx) out += fill;
  out += text;
  for (uint64_t idx = left; idx < margin; ++idx) out += fill;
  return Value::string(std::move(out));
}

base::Result<Value> partition(std::string_view name, const std::string& text, const Value& sep_value) {
  if (!sep_value.is_string()) return type_error(name, "str", sep_value);
  const std::string& sep = sep_value.as_string();
  if (sep.empty()) return base::invalid_argument("empty separator");
  size_t found = name == "partition" ? text.find(sep) : text.rfind(sep);
  if (found == std::string::npos) {
    if (name == "partition") return Value::tuple({Value::string(text), Value::string(""), Value::string("")});
    return Value::tuple({Value::string(""), Value::string(""), Value::string(text)});
  }
  return Value::tuple(
      {Value::string(text.substr(0, found)), Value::string(sep), Value::string(text.substr(found + sep.size()))});
}

base::Result<Value> replace(Evaluator& evaluator, const std::string& text, const std::vector<Value>& bound) {
  if (!bound[0].is_string()) return type_error("replace", "str", bound[0]);
  if (!bound[1].is_string()) return type_error("replace", "str", bound[1]);
  if (!bound[2].is_undefined() && !bound[2].is_int()) return type_error("replace", "int", bound[2]);
  const std::string& old_text = bound[0].as_string();
  const std::string& new_text = bound[1].as_string();
  int64_t max_count = bound[2].is_undefined() ? -1 : bound[2].as_int();
  std::string out;
  int64_t done = 0;
  uint64_t limit = evaluator.limits().max_string_bytes;
  auto too_big = [&]() {
    return base::out_of_range("str.replace() would build a string larger than the {} byte limit", limit);
  };
  if (old_text.empty()) {
    size_t pos = 0;
    while (true) {
      if (max_count < 0 || done < max_count) {
        out += new_text;
        ++done;
      }
      if (out.size() > limit) return too_big();
      if (pos >= text.size()) break;
      size_t begin = pos;
      next_code_point(text, pos);
      out.append(text, begin, pos - begin);
    }
    return Value::string(std::move(out));
  }
  size_t pos = 0;
  while (max_count < 0 || done < max_count) {
    size_t found = text.find(old_text, pos);
    if (found == std::string::npos) break;
    out.append(text, pos, found - pos);
    out += new_text;
    if (out.size() > limit) return too_big();
    pos = found + old_text.size();
    ++done;
  }
  out.append(text, pos);
  if (out.size() > limit) return too_big();
  return Value::string(std::move(out));
}

base::Result<Value> join(Evaluator& evaluator, const std::string& separator, const Value& iterable) {
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(iterable));
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(items.size()));
  uint64_t total = 0;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    if (!items[idx].is_string()) {
      return base::invalid_argument("sequence item {}: expected str instance, {} found", idx,
                                    python_type_name(items[idx]));
    }
    total += items[idx].as_string().size() + (idx > 0 ? separator.size() : 0);
  }
  if (total > evaluator.limits().max_string_bytes) {
    return base::out_of_range("str.join() would build a string larger than the {} byte limit",
                              evaluator.limits().max_string_bytes);
  }
  std::string out;
  out.reserve(total);
  for (size_t idx = 0; idx < items.size(); ++idx) {
    if (idx > 0) out += separator;
    out += items[idx].as_string();
  }
  return Value::string(std::move(out));
}

Value string_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& part : parts) items.push_back(Value::string(std::move(part)));
  return Value::sequence(std::move(items));
}

base::Result<Value> strip_method(std::string_view name, const std::string& text, const Value& chars) {
  if (!chars.is_undefined() && !chars.is_none() && !chars.is_string()) {
    return base::invalid_argument("{} arg must be None or str", name);
  }
  const std::string* chars_ptr = chars.is_string() ? &chars.as_string() : nullptr;
  return Value::string(python_strip(text, chars_ptr, name != "rstrip", name != "lstrip"));
}

base::Result<Value> split_method(std::string_view name, const std::string& text, const std::vector<Value>& bound) {
  if (!bound[0].is_undefined() && !bound[0].is_none() && !bound[0].is_string()) {
    return base::invalid_argument("must be str or None, not {}", python_type_name(bound[0]));
  }
  if (!bound[1].is_undefined() && !bound[1].is_int()) return type_error(name, "int", bound[1]);
  const std::string* sep = bound[0].is_string() ? &bound[0].as_string() : nullptr;
  if (sep != nullptr && sep->empty()) return base::invalid_argument("empty separator");
  int64_t max_split = bound[1].is_undefined() ? -1 : bound[1].as_int();
  return string_list(python_split(text, sep, max_split, name == "rsplit"));
}

base::Result<Value> expand_tabs(const std::string& text, const Value& size_value, uint64_t limit) {
  int64_t tab_size = size_value.is_undefined() ? 8 : size_value.as_int();
  std::string out;
  int64_t column = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t begin = pos;
    char32_t c = next_code_point(text, pos);
    if (c == '\t') {
      if (tab_size > 0) {
        int64_t spaces = tab_size - column % tab_size;
        if (out.size() + static_cast<uint64_t>(spaces) > limit)
          return base::out_of_range("str.expandtabs() is too large");
        out.append(static_cast<size_t>(spaces), ' ');
        column += spaces;
      }
    } else {
      out.append(text, begin, pos - begin);
      column = c == '\n' || c == '\r' ? 0 : column + 1;
    }
  }
  return Value::string(std::move(out));
}

}  // namespace

bool is_string_method(std::string_view name) {
  return std::find(std::begin(kStringMethods), std::end(kStringMethods), name) != std::end(kStringMethods);
}

std::string python_strip(std::string_view text, const std::string* chars, bool left, bool right) {
  std::u32string strip_set = chars != nullptr ? decode_utf8(*chars) : std::u32string();
  auto strippable = [&](char32_t c) {
    return chars == nullptr ? is_python_space(c) : strip_set.find(c) != std::u32string::npos;
  };
  size_t begin = 0;
  size_t end = text.size();
  if (left) {
    while (begin < end) {
      size_t next = begin;
      if (!strippable(next_code_point(text, next))) break;
      begin = next;
    }
  }
  if (right) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      size_t probe = start;
      if (!strippable(next_code_point(text, probe))) break;
      end = start;
    }
  }
  return std::string(text.substr(begin, end - begin));
}

std::vector<std::string> python_split(std::string_view text, const std::string* sep, int64_t max_split,
                                      bool from_right) {
  std::vector<std::string> parts;
  if (sep != nullptr) {
    if (!from_right) {
      size_t pos = 0;
      while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
        size_t found = text.find(*sep, pos);
        if (found == std::string_view::npos) break;
        parts.emplace_back(text.substr(pos, found - pos));
        pos = found + sep->size();
      }
      parts.emplace_back(text.substr(pos));
      return parts;
    }
    size_t end = text.size();
    while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
      if (end < sep->size()) break;
      size_t found = text.rfind(*sep, end - sep->size());
      if (found == std::string_view::npos) break;
      parts.emplace_back(text.substr(found + sep->size(), end - found - sep->size()));
      end = found;
    }
    parts.emplace_back(text.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  std::u32string code_points = decode_utf8(text);
  auto count = static_cast<int64_t>(code_points.size());
  if (!from_right) {
    int64_t idx = 0;
    while (true) {
      while (idx < count && is_python_space(code_points[static_cast<size_t>(idx)])) ++idx;
      if (idx >= count) break;
      if (max_split >= 0 && static_cast<int64_t>(parts.size()) >= max_split) {
        // Python keeps the remainder's trailing whitespace.
        parts.push_back(encode_utf8(std::u32string_view(code_points).substr(static_cast<size_t>(idx))));
        break;
      }
      int64_t start = idx;
      while (idx < count && !is_python_space(code_points[static_cast<size_t>(idx)])) ++idx;
      parts.push_back(encode_utf8(
          std::u32string_view(code_points).substr(static_cast<size_t>(start), static_cast<size_t>(idx - start))));
    }
    return parts;
  }
  int64_t idx = count;
  while (true) {
    while (idx > 0 && is_python_space(code_points[static_cast<size_t>(idx - 1)])) --idx;
    if (idx <= 0) break;
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) >= max_split) {
      // rsplit keeps the remainder's leading whitespace.
      parts.push_back(encode_utf8(std::u32string_view(code_points).substr(0, static_cast<size_t>(idx))));
      break;
    }
    int64_t end = idx;
    while (idx > 0 && !is_python_space(code_points[static_cast<size_t>(idx - 1)])) --idx;
    parts.push_back(
        encode_utf8(std::u32string_view(code_points).substr(static_cast<size_t>(idx), static_cast<size_t>(end - idx))));
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> python_splitlines(std::string_view text, bool keep_ends) {
  std::vector<std::string> lines;
  size_t line_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t char_start = pos;
    char32_t c = next_code_point(text, pos);
    if (!is_line_break(c)) continue;
    size_t break_end = pos;
    if (c == '\r' && pos < text.size() && text[pos] == '\n') break_end = ++pos;
    lines.emplace_back(text.substr(line_start, (keep_ends ? break_end : char_start) - line_start));
    line_start = break_end;
  }
  if (line_start < text.size()) lines.emplace_back(text.substr(line_start));
  return lines;
}

base::Result<Value> call_string_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                       const CallArgs& args) {
  const std::string& text = receiver.as_string();
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(Evaluator::walk_cost(receiver)));
  std::string what = "str." + std::string(name) + "()";
  auto bind = [&](std::initializer_list<ParamSpec> params) { return bind_args(what, args, params); };
  if (name == "format") return str_format(evaluator, text, args);
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"chars"}}));
    return strip_method(name, text, bound[0]);
  }
  if (name == "split" || name == "rsplit") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"sep"}, {"maxsplit"}}));
    return split_method(name, text, bound);
  }
  if (name == "splitlines") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"keepends"}}));
    std::vector<std::string> lines = python_splitlines(text, truthy(bound[0]));
    std::vector<Value> items;
    for (auto& line : lines) items.push_back(Value::string(std::move(line)));
    return Value::sequence(std::move(items));
  }
  if (name == "startswith" || name == "endswith") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"prefix", true}, {"start"}, {"end"}}));
    return starts_or_ends(name, text, bound);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"sub", true}, {"start"}, {"end"}}));
    return search(name, text, bound);
  }
  if (name == "replace") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"old", true}, {"new", true}, {"count"}}));
    return replace(evaluator, text, bound);
  }
  if (name == "join") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"iterable", true}}));
    return join(evaluator, text, bound[0]);
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"width", true}, {"fillchar"}}));
    return justify(evaluator, name, text, bound);
  }
  if (name == "zfill") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"width", true}}));
    if (!bound[0].is_int()) return type_error(name, "int", bound[0]);
    auto length = static_cast<int64_t>(count_code_points(text));
    if (bound[0].as_int() <= length) return Value::string(text);
    auto fill = static_cast<uint64_t>(bound[0].as_int() - length);
    if (fill > evaluator.limits().max_string_bytes) return base::out_of_range("str.zfill() width is too large");
    bool sign = !text.empty() && (text[0] == '+' || text[0] == '-');
    std::string out = sign ? text.substr(0, 1) : "";
    out.append(fill, '0');
    out += sign ? text.substr(1) : text;
    return Value::string(std::move(out));
  }
  if (name == "partition" || name == "rpartition") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"sep", true}}));
    return partition(name, text, bound[0]);
  }
  if (name == "removeprefix" || name == "removesuffix") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"affix", true}}));
    if (!bound[0].is_string()) return type_error(name, "str", bound[0]);
    const std::string& affix = bound[0].as_string();
    if (name == "removeprefix" && text.starts_with(affix)) return Value::string(text.substr(affix.size()));
    if (name == "removesuffix" && !affix.empty() && text.ends_with(affix)) {
      return Value::string(text.substr(0, text.size() - affix.size()));
    }
    return receiver;
  }
  if (name == "expandtabs") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind({{"tabsize"}}));
    if (!bound[0].is_undefined() && !bound[0].is_int()) return type_error(name, "int", bound[0]);
    return expand_tabs(text, bound[0], evaluator.limits().max_string_bytes);
  }
  FOVEA_RETURN_IF_ERROR(bind({}).status());
  if (name == "upper") return Value::string(to_upper(text));
  if (name == "lower" || name == "casefold") return Value::string(to_lower(text));
  if (name == "title") return Value::string(python_title(text));
  if (name == "capitalize") return Value::string(python_capitalize(text));
  if (name == "swapcase") return Value::string(swap_case(text));
  if (name == "isalpha") return Value::boolean(python_isalpha(text));
  if (name == "isdigit") return Value::boolean(python_isdigit(text));
  if (name == "isdecimal") return Value::boolean(python_isdecimal(text));
  if (name == "isnumeric") return Value::boolean(python_isnumeric(text));
  if (name == "isalnum") return Value::boolean(python_isalnum(text));
  if (name == "isspace") return Value::boolean(python_isspace(text));
  if (name == "islower") return Value::boolean(python_islower(text));
  if (name == "isupper") return Value::boolean(python_isupper(text));
  if (name == "istitle") return Value::boolean(python_istitle(text));
  if (name == "isascii") return Value::boolean(is_ascii(text));
  if (name == "isprintable") {
    std::u32string code_points = decode_utf8(text);
    return Value::boolean(std::all_of(code_points.begin(), code_points.end(), python_isprintable_char));
  }
  if (name == "isidentifier") {
    std::u32string code_points = decode_utf8(text);
    bool valid =
        !code_points.empty() && (code_points[0] == '_' || python_isalpha(encode_utf8(code_points.substr(0, 1))));
    for (char32_t c : code_points) valid = valid && is_word_char(c);
    return Value::boolean(valid);
  }
  return base::unsupported("str.{}() is not supported in fovea's chat templates", name);
}

}  // namespace fovea::text::jinja
