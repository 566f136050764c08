// Method lookup and dispatch; dict and list/tuple methods (str methods live in string_methods.cpp).
#include "text/template/methods.h"

#include <algorithm>

#include "text/template/call_args.h"
#include "text/template/string_methods.h"
#include "text/template/value_format.h"

namespace fovea::text::jinja {
namespace {

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Value dict_view(const Dict& dict, SequenceKind kind) {
  std::vector<Value> items;
  items.reserve(dict.size());
  for (const auto& [key, value] : dict.entries()) {
    if (kind == SequenceKind::kItemsView) {
      items.push_back(Value::tuple({key, value}));
    } else {
      items.push_back(kind == SequenceKind::kKeysView ? key : value);
    }
  }
  return Value::sequence(std::move(items), kind);
}

base::Result<Value> call_dict_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                     const CallArgs& args) {
  const Dict& dict = receiver.as_dict();
  std::string what = "dict." + std::string(name) + "()";
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(dict.size()));
  if (name == "get") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what, args, {{"key", true}, {"default", false, Value::none()}}));
    FOVEA_RETURN_IF_ERROR(hash_value(bound[0]).status());
    const Value* found = dict.find(bound[0]);
    return found != nullptr ? *found : bound[1];
  }
  FOVEA_RETURN_IF_ERROR(bind_args(what, args, {}).status());
  if (name == "items") return dict_view(dict, SequenceKind::kItemsView);
  if (name == "keys") return dict_view(dict, SequenceKind::kKeysView);
  if (name == "values") return dict_view(dict, SequenceKind::kValuesView);
  return Value::dict(std::make_shared<Dict>(dict));  // copy
}

base::Result<Value> call_sequence_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                         const CallArgs& args) {
  const Sequence& seq = receiver.as_sequence();
  std::string what = python_type_name(receiver) + "." + std::string(name) + "()";
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(seq.items.size()));
  if (name == "copy") {
    FOVEA_RETURN_IF_ERROR(bind_args(what, args, {}).status());
    return Value::sequence(seq.items, seq.kind);
  }
  if (name == "count") {
    FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what, args, {{"value", true}}));
    return Value::integer(static_cast<int64_t>(std::count_if(
        seq.items.begin(), seq.items.end(), [&](const Value& item) { return values_equal(item, bound[0]); })));
  }
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args(what, args, {{"value", true}, {"start"}, {"stop"}}));
  auto length = static_cast<int64_t>(seq.items.size());
  auto clamp = [&](const Value& bound_value, int64_t fallback) {
    if (!bound_value.is_int()) return fallback;
    int64_t index = bound_value.as_int();
    if (index < 0) index = std::max<int64_t>(0, index + length);
    return std::min(index, length);
  };
  int64_t start = clamp(bound[1], 0);
  int64_t stop = clamp(bound[2], length);
  for (int64_t idx = start; idx < stop; ++idx) {
    if (values_equal(seq.items[static_cast<size_t>(idx)], bound[0])) return Value::integer(idx);
  }
  std::string shown;
  FOVEA_RETURN_IF_ERROR(append_repr(shown, bound[0], 4096));
  return base::invalid_argument("{} is not in {}", shown, python_type_name(receiver));
}

}  // namespace

MethodSafety find_method(const Value& receiver, std::string_view name) {
  switch (receiver.kind()) {
    case ValueKind::kString:
      return is_string_method(name) ? MethodSafety::kSafe : MethodSafety::kNone;
    case ValueKind::kDict:
      if (one_of(name, {"get", "items", "keys", "values", "copy"})) return MethodSafety::kSafe;
      if (one_of(name, {"pop", "popitem", "setdefault", "update", "clear"})) return MethodSafety::kUnsafe;
      return MethodSafety::kNone;
    case ValueKind::kSequence: {
      SequenceKind kind = receiver.as_sequence().kind;
      if (kind == SequenceKind::kList) {
        if (one_of(name, {"index", "count", "copy"})) return MethodSafety::kSafe;
        if (one_of(name, {"append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove"})) {
          return MethodSafety::kUnsafe;
        }
      } else if ((kind == SequenceKind::kTuple || kind == SequenceKind::kRange) && one_of(name, {"index", "count"})) {
        return MethodSafety::kSafe;
      }
      return MethodSafety::kNone;
    }
    default:
      return MethodSafety::kNone;
  }
}

base::Result<Value> call_method(Evaluator& evaluator, const Value& receiver, std::string_view name,
                                const CallArgs& args) {
  switch (receiver.kind()) {
    case ValueKind::kString:
      return call_string_method(evaluator, receiver, name, args);
    case ValueKind::kDict:
      return call_dict_method(evaluator, receiver, name, args);
    case ValueKind::kSequence:
      return call_sequence_method(evaluator, receiver, name, args);
    default:
      return base::internal_error("no method {} on {}", name, python_type_name(receiver));
  }
}

}  // namespace fovea::text::jinja
