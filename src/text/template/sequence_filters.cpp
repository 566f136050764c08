// Sequence filters of jinja2: select/reject/map, sort/dictsort/unique/min/max, join/sum, batch/slice/reverse.
// Like jinja2, select/reject/map/unique/reverse return single-use iterators.
#include <algorithm>

#include "text/template/call_args.h"
#include "text/template/filters.h"
#include "text/template/unicode_text.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

std::string what(std::string_view name) { return "filter '" + std::string(name) + "'"; }

base::Result<std::vector<Value>> items_of(Evaluator& evaluator, const Value& input) {
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(input));
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(items.size()));
  return items;
}

Value ignore_case(Value value) {
  if (!value.is_string()) return value;
  return Value::string(to_lower(value.as_string()));
}

// jinja2's make_multi_attrgetter: one key per comma-separated attribute path.
base::Result<Value> multi_key(Evaluator& evaluator, const Value& item, const Value& attribute, bool case_sensitive) {
  std::vector<Value> paths;
  if (attribute.is_string()) {
    const std::string& text = attribute.as_string();
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      paths.push_back(
          Value::string(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    paths.push_back(attribute);
  }
  std::vector<Value> keys;
  for (const Value& path : paths) {
    FOVEA_ASSIGN_OR_RETURN(Value key, lookup_path(evaluator, item, path, Value()));
    keys.push_back(case_sensitive ? key : ignore_case(key));
  }
  return Value::sequence(std::move(keys));
}

// Stable sort by precomputed keys; Python's sorted() with key= and reverse=.
base::Result<std::vector<Value>> sort_by_keys(std::vector<Value> items, const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t idx = 0; idx < order.size(); ++idx) order[idx] = idx;
  base::Status status;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (!status.ok()) return false;
    auto ordered = reverse ? order_values(keys[b], keys[a]) : order_values(keys[a], keys[b]);
    if (!ordered.ok()) {
      status = ordered.status();
      return false;
    }
    return *ordered < 0;
  });
  FOVEA_RETURN_IF_ERROR(status);
  std::vector<Value> sorted;
  sorted.reserve(items.size());
  for (size_t idx : order) sorted.push_back(std::move(items[idx]));
  return sorted;
}

base::Result<Value> filter_sort(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what("sort"), args,
                                               {{"reverse", false, Value::boolean(false)},
                                                {"case_sensitive", false, Value::boolean(false)},
                                                {"attribute", false, Value::none()}}));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  std::vector<Value> keys;
  for (const Value& item : items) {
    if (bound[2].is_none()) {
      keys.push_back(truthy(bound[1]) ? item : ignore_case(item));
    } else {
      FOVEA_ASSIGN_OR_RETURN(Value key, multi_key(evaluator, item, bound[2], truthy(bound[1])));
      keys.push_back(std::move(key));
    }
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> sorted, sort_by_keys(std::move(items), keys, truthy(bound[0])));
  return Value::sequence(std::move(sorted));
}

base::Result<Value> filter_dictsort(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what("dictsort"), args,
                                               {{"case_sensitive", false, Value::boolean(false)},
                                                {"by", false, Value::string("key")},
                                                {"reverse", false, Value::boolean(false)}}));
  if (!input.is_dict()) return base::invalid_argument("'{}' object has no attribute 'items'", python_type_name(input));
  if (!bound[1].is_string() || (bound[1].as_string() != "key" && bound[1].as_string() != "value")) {
    return base::invalid_argument("You can only sort by either \"key\" or \"value\"");
  }
  size_t pos = bound[1].as_string() == "key" ? 0 : 1;
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(input.as_dict().size()));
  std::vector<Value> items;
  std::vector<Value> keys;
  for (const auto& [key, value] : input.as_dict().entries()) {
    items.push_back(Value::tuple({key, value}));
    const Value& sort_key = pos == 0 ? key : value;
    keys.push_back(truthy(bound[0]) ? sort_key : ignore_case(sort_key));
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> sorted, sort_by_keys(std::move(items), keys, truthy(bound[2])));
  return Value::sequence(std::move(sorted));
}

base::Result<Value> filter_unique(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound, bind_args(what("unique"), args,
                            {{"case_sensitive", false, Value::boolean(false)}, {"attribute", false, Value::none()}}));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  Dict seen;
  std::vector<Value> out;
  for (const Value& item : items) {
    FOVEA_ASSIGN_OR_RETURN(Value key, lookup_path(evaluator, item, bound[1], Value()));
    if (!truthy(bound[0])) key = ignore_case(key);
    FOVEA_RETURN_IF_ERROR(hash_value(key).status());
    if (seen.find(key) != nullptr) continue;
    FOVEA_RETURN_IF_ERROR(seen.set(key, Value::none()));
    out.push_back(item);
  }
  return Value::sequence(std::move(out), SequenceKind::kIterator);
}

base::Result<Value> min_or_max(Evaluator& evaluator, const Value& input, const CallArgs& args, bool want_max) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound, bind_args(what(want_max ? "max" : "min"), args,
                            {{"case_sensitive", false, Value::boolean(false)}, {"attribute", false, Value::none()}}));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  if (items.empty()) return Value::undefined(UndefinedInfo{"", "", "No aggregated item, sequence was empty."});
  size_t best = 0;
  Value best_key;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    FOVEA_ASSIGN_OR_RETURN(Value key, lookup_path(evaluator, items[idx], bound[1], Value()));
    if (!truthy(bound[0])) key = ignore_case(key);
    if (idx > 0) {
      FOVEA_ASSIGN_OR_RETURN(int ordered, order_values(key, best_key));
      if (want_max ? ordered <= 0 : ordered >= 0) continue;
    }
    best = idx;
    best_key = key;
  }
  return items[best];
}
base::Result<Value> filter_min(Evaluator& e, const Value& v, const CallArgs& a) { return min_or_max(e, v, a, false); }
base::Result<Value> filter_max(Evaluator& e, const Value& v, const CallArgs& a) { return min_or_max(e, v, a, true); }

base::Result<Value> filter_sum(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(
      auto bound,
      bind_args(what("sum"), args, {{"attribute", false, Value::none()}, {"start", false, Value::integer(0)}}));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  Value total = bound[1];
  for (const Value& item : items) {
    FOVEA_ASSIGN_OR_RETURN(Value term, lookup_path(evaluator, item, bound[0], Value()));
    FOVEA_ASSIGN_OR_RETURN(total, binary_op(BinaryOp::kAdd, total, term, evaluator.limits()));
    FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(Evaluator::walk_cost(total)));
  }
  return total;
}

base::Result<Value> filter_join(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what("join"), args,
                                               {{"d", false, Value::string("")}, {"attribute", false, Value::none()}}));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  FOVEA_ASSIGN_OR_RETURN(std::string separator, evaluator.to_str(bound[0]));
  std::string out;
  uint64_t limit = evaluator.limits().max_string_bytes;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    if (idx > 0) out += separator;
    FOVEA_ASSIGN_OR_RETURN(Value item, lookup_path(evaluator, items[idx], bound[1], Value()));
    FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(item));
    out += text;
    if (out.size() > limit) {
      return base::out_of_range("join would build a string larger than the {} byte limit", limit);
    }
  }
  return Value::string(std::move(out));
}

// select/reject/selectattr/rejectattr.
base::Result<Value> select_or_reject(Evaluator& evaluator, const Value& input, const CallArgs& args, bool keep_when,
                                     bool lookup_attribute) {
  if (!truthy(input)) return Value::sequence({}, SequenceKind::kIterator);
  size_t offset = 0;
  Value attribute;
  if (lookup_attribute) {
    if (args.positional.empty()) return base::invalid_argument("Missing parameter for attribute name");
    attribute = args.positional[0];
    offset = 1;
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  std::vector<Value> out;
  for (const Value& item : items) {
    Value subject = item;
    if (lookup_attribute) {
      FOVEA_ASSIGN_OR_RETURN(subject, lookup_path(evaluator, item, attribute, Value()));
    }
    bool passed = false;
    if (args.positional.size() > offset) {
      const Value& test_name = args.positional[offset];
      if (!test_name.is_string()) return base::invalid_argument("a test name must be a string");
      CallArgs test_args;
      test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(offset) + 1,
                                  args.positional.end());
      test_args.keywords = args.keywords;
      FOVEA_ASSIGN_OR_RETURN(passed, evaluator.apply_test(test_name.as_string(), subject, std::move(test_args)));
    } else {
      passed = truthy(subject);
    }
    if (passed == keep_when) out.push_back(item);
  }
  return Value::sequence(std::move(out), SequenceKind::kIterator);
}
base::Result<Value> filter_select(Evaluator& e, const Value& v, const CallArgs& a) {
  return select_or_reject(e, v, a, true, false);
}
base::Result<Value> filter_reject(Evaluator& e, const Value& v, const CallArgs& a) {
  return select_or_reject(e, v, a, false, false);
}
base::Result<Value> filter_selectattr(Evaluator& e, const Value& v, const CallArgs& a) {
  return select_or_reject(e, v, a, true, true);
}
base::Result<Value> filter_rejectattr(Evaluator& e, const Value& v, const CallArgs& a) {
  return select_or_reject(e, v, a, false, true);
}

base::Result<Value> filter_map(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  std::vector<Value> out;
  bool by_attribute =
      args.positional.empty() && std::any_of(args.keywords.begin(), args.keywords.end(),
                                             [](const auto& keyword) { return keyword.first == "attribute"; });
  if (by_attribute) {
    Value attribute;
    Value fallback = Value::none();
    for (const auto& [name, value] : args.keywords) {
      if (name == "attribute") {
        attribute = value;
      } else if (name == "default") {
        fallback = value;
      } else {
        return base::invalid_argument("Unexpected keyword argument '{}'", name);
      }
    }
    for (const Value& item : items) {
      FOVEA_ASSIGN_OR_RETURN(Value mapped, lookup_path(evaluator, item, attribute, fallback));
      out.push_back(std::move(mapped));
    }
    return Value::sequence(std::move(out), SequenceKind::kIterator);
  }
  if (args.positional.empty()) return base::invalid_argument("map requires a filter argument");
  if (!args.positional[0].is_string()) return base::invalid_argument("map's filter name must be a string");
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keywords = args.keywords;
  for (const Value& item : items) {
    FOVEA_ASSIGN_OR_RETURN(Value mapped, evaluator.apply_filter(args.positional[0].as_string(), item, filter_args));
    out.push_back(std::move(mapped));
  }
  return Value::sequence(std::move(out), SequenceKind::kIterator);
}

base::Result<Value> filter_reverse(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(bind_args(what("reverse"), args, {}).status());
  if (input.is_string()) {
    std::u32string code_points = decode_utf8(input.as_string());
    std::reverse(code_points.begin(), code_points.end());
    return Value::string(encode_utf8(code_points));
  }
  if (!input.is_undefined() && !input.is_sequence() && !input.is_dict()) {
    return base::invalid_argument("argument must be iterable");
  }
  bool was_iterator = input.is_sequence() && input.as_sequence().kind == SequenceKind::kIterator;
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  std::reverse(items.begin(), items.end());
  return Value::sequence(std::move(items), was_iterator ? SequenceKind::kList : SequenceKind::kIterator);
}

base::Result<Value> filter_batch(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound,
                         bind_args(what("batch"), args, {{"linecount", true}, {"fill_with", false, Value::none()}}));
  if (!bound[0].is_int()) return base::invalid_argument("batch linecount must be an integer");
  int64_t line_count = bound[0].as_int();
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  std::vector<Value> batches;
  std::vector<Value> current;
  for (const Value& item : items) {
    if (static_cast<int64_t>(current.size()) == line_count) {
      batches.push_back(Value::sequence(std::move(current)));
      current.clear();
    }
    current.push_back(item);
  }
  if (!current.empty()) {
    if (!bound[1].is_none() && static_cast<int64_t>(current.size()) < line_count) {
      if (line_count > static_cast<int64_t>(evaluator.limits().max_items)) {
        return base::out_of_range("batch would build more than {} items", evaluator.limits().max_items);
      }
      current.resize(static_cast<size_t>(line_count), bound[1]);
    }
    batches.push_back(Value::sequence(std::move(current)));
  }
  return Value::sequence(std::move(batches), SequenceKind::kIterator);
}

base::Result<Value> filter_slice(Evaluator& evaluator, const Value& input, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound,
                         bind_args(what("slice"), args, {{"slices", true}, {"fill_with", false, Value::none()}}));
  if (!bound[0].is_int()) return base::invalid_argument("slice count must be an integer");
  int64_t slices = bound[0].as_int();
  if (slices == 0) return base::invalid_argument("integer division or modulo by zero");
  if (slices < 0 || slices > static_cast<int64_t>(evaluator.limits().max_items)) {
    return base::out_of_range("slice count {} is out of range", slices);
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(evaluator, input));
  auto length = static_cast<int64_t>(items.size());
  int64_t per_slice = length / slices;
  int64_t with_extra = length % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t number = 0; number < slices; ++number) {
    int64_t start = offset + number * per_slice;
    if (number < with_extra) ++offset;
    int64_t end = offset + (number + 1) * per_slice;
    std::vector<Value> part(items.begin() + start, items.begin() + end);
    if (!bound[1].is_none() && number >= with_extra) part.push_back(bound[1]);
    out.push_back(Value::sequence(std::move(part)));
  }
  return Value::sequence(std::move(out), SequenceKind::kIterator);
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

constexpr FilterEntry kSequenceFilters[] = {
    {"batch", filter_batch},
    {"dictsort", filter_dictsort},
    {"join", filter_join},
    {"map", filter_map},
    {"max", filter_max},
    {"min", filter_min},
    {"reject", filter_reject},
    {"rejectattr", filter_rejectattr},
    {"reverse", filter_reverse},
    {"select", filter_select},
    {"selectattr", filter_selectattr},
    {"slice", filter_slice},
    {"sort", filter_sort},
    {"sum", filter_sum},
    {"unique", filter_unique},
};

}  // namespace

FilterFn find_sequence_filter(std::string_view name) {
  for (const FilterEntry& entry : kSequenceFilters) {
    if (entry.name == name) return entry.fn;
  }
  return nullptr;
}

base::Result<Value> lookup_path(Evaluator& evaluator, const Value& item, const Value& path, const Value& fallback) {
  if (path.is_none() || path.is_undefined()) return item;
  std::vector<Value> parts;
  if (path.is_string()) {
    const std::string& text = path.as_string();
    size_t start = 0;
    while (true) {
      size_t dot = text.find('.', start);
      std::string part = text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      bool digits = !part.empty() && part.size() < 19 && part.find_first_not_of("0123456789") == std::string::npos;
      parts.push_back(digits ? Value::integer(std::stoll(part)) : Value::string(part));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  } else {
    parts.push_back(path);
  }
  Value current = item;
  for (const Value& part : parts) {
    FOVEA_ASSIGN_OR_RETURN(current, evaluator.get_item(current, part));
    if (current.is_undefined() && !fallback.is_undefined() && !fallback.is_none()) current = fallback;
  }
  return current;
}

}  // namespace fovea::text::jinja
