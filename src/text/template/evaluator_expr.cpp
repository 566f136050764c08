// Expression evaluation and the sandbox's attribute/item lookup rules.
#include <algorithm>

#include "text/template/callables.h"
#include "text/template/evaluator.h"
#include "text/template/methods.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

std::string owner_type(const Value& object) {
  if (object.is_none()) return "None";
  return python_type_name(object) + " object";
}

Value missing(const Value& object, std::string name, bool name_is_string) {
  UndefinedInfo info;
  info.name = std::move(name);
  info.owner_type = owner_type(object);
  info.name_is_string = name_is_string;
  return Value::undefined(std::move(info));
}

Value missing_key(const Value& object, const Value& key) {
  if (key.is_string()) return missing(object, key.as_string(), true);
  return missing(object, to_display_repr(key), false);
}

bool is_dunder(std::string_view name) { return name.size() > 4 && name.starts_with("__") && name.ends_with("__"); }

Value unsafe_attribute(const Value& object, std::string_view name) {
  UndefinedInfo info;
  info.name = std::string(name);
  info.owner_type = owner_type(object);
  std::string type = python_type_name(object);
  info.hint = "access to attribute '" + std::string(name) + "' of '" + type + "' object is unsafe.";
  return Value::undefined(std::move(info));
}

}  // namespace

Value Evaluator::lookup(const std::string& name) const {
  for (const Scope* scope = scope_.get(); scope != nullptr; scope = scope->parent.get()) {
    if (const Value* found = scope->find_local(name)) return *found;
  }
  UndefinedInfo info;
  info.name = name;
  return Value::undefined(std::move(info));
}

base::Result<Value> Evaluator::method_or_undefined(const Value& object, std::string_view name) {
  switch (find_method(object, name)) {
    case MethodSafety::kSafe:
      return Value::object(std::make_shared<BoundMethod>(object, std::string(name)));
    case MethodSafety::kUnsafe:
      return unsafe_attribute(object, name);
    case MethodSafety::kNone:
      break;
  }
  if (object.is_int() || object.is_bool()) {
    if (name == "real" || name == "numerator") return Value::integer(object.as_int());
    if (name == "imag") return Value::integer(0);
    if (name == "denominator") return Value::integer(1);
  } else if (object.is_float()) {
    if (name == "real") return object;
    if (name == "imag") return Value::floating(0.0);
  } else if (object.is_namespace()) {
    if (const Value* found = object.as_namespace().find(name)) return *found;
  } else if (object.is_object()) {
    return object.object_ptr()->attribute(name);
  }
  return missing(object, std::string(name), true);
}

base::Result<Value> Evaluator::get_attribute(const Value& object, std::string_view name) {
  if (object.is_undefined()) return base::invalid_argument("{}", undefined_message(object));
  if (is_dunder(name)) return unsafe_attribute(object, name);
  if (object.is_dict() && find_method(object, name) == MethodSafety::kNone) {
    if (const Value* found = object.as_dict().find(name)) return *found;
  }
  return method_or_undefined(object, name);
}

base::Result<Value> Evaluator::get_item(const Value& object, const Value& key) {
  if (object.is_undefined()) return base::invalid_argument("{}", undefined_message(object));
  if (object.is_dict()) {
    if (hash_value(key).ok()) {
      if (const Value* found = object.as_dict().find(key)) return *found;
    }
  } else if ((object.is_indexable() || object.is_string()) && (key.is_int() || key.is_bool())) {
    if (auto found = index_sequence(object, key.as_int())) return *found;
    return missing_key(object, key);
  }
  if (key.is_string()) {
    if (is_dunder(key.as_string())) return unsafe_attribute(object, key.as_string());
    return method_or_undefined(object, key.as_string());
  }
  return missing_key(object, key);
}

base::Result<Value> Evaluator::eval(const Expr& expr) {
  FOVEA_RETURN_IF_ERROR(charge_steps(1));
  FOVEA_ASSIGN_OR_RETURN(Value value, eval_inner(expr));
  FOVEA_RETURN_IF_ERROR(check_value(value));
  return value;
}

base::Result<CallArgs> Evaluator::eval_args(const ArgList& list) {
  CallArgs args;
  for (const ExprPtr& arg : list.positional) {
    FOVEA_ASSIGN_OR_RETURN(Value value, eval(*arg));
    args.positional.push_back(std::move(value));
  }
  if (list.star_args) {
    FOVEA_ASSIGN_OR_RETURN(Value extra, eval(*list.star_args));
    FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(extra));
    FOVEA_RETURN_IF_ERROR(charge_steps(items.size()));
    args.positional.insert(args.positional.end(), items.begin(), items.end());
  }
  auto add_keyword = [&](std::string name, Value value) -> base::Status {
    for (const auto& existing : args.keywords) {
      if (existing.first == name) return base::invalid_argument("got multiple values for keyword argument '{}'", name);
    }
    args.keywords.emplace_back(std::move(name), std::move(value));
    return base::Status();
  };
  for (const Keyword& keyword : list.keywords) {
    FOVEA_ASSIGN_OR_RETURN(Value value, eval(*keyword.value));
    FOVEA_RETURN_IF_ERROR(add_keyword(keyword.name, std::move(value)));
  }
  if (list.star_kwargs) {
    FOVEA_ASSIGN_OR_RETURN(Value extra, eval(*list.star_kwargs));
    if (!extra.is_dict()) {
      return base::invalid_argument("argument after ** must be a mapping, not {}", python_type_name(extra));
    }
    FOVEA_RETURN_IF_ERROR(charge_steps(extra.as_dict().size()));
    for (const auto& [key, value] : extra.as_dict().entries()) {
      if (!key.is_string()) return base::invalid_argument("keywords must be strings");
      FOVEA_RETURN_IF_ERROR(add_keyword(key.as_string(), value));
    }
  }
  return args;
}

base::Result<Value> Evaluator::eval_call(const Expr& expr) {
  FOVEA_ASSIGN_OR_RETURN(Value callee, eval(*expr.children[0]));
  FOVEA_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr.args));
  return call_value(callee, std::move(args));
}

base::Result<Value> Evaluator::eval_getitem(const Expr& expr) {
  FOVEA_ASSIGN_OR_RETURN(Value object, eval(*expr.children[0]));
  const Expr& subscript = *expr.children[1];
  if (subscript.kind != ExprKind::kSlice) {
    FOVEA_ASSIGN_OR_RETURN(Value key, eval(subscript));
    return get_item(object, key);
  }
  std::optional<int64_t> bounds[3];
  for (size_t idx = 0; idx < 3; ++idx) {
    if (!subscript.children[idx]) continue;
    FOVEA_ASSIGN_OR_RETURN(Value bound, eval(*subscript.children[idx]));
    if (bound.is_none()) continue;
    if (!bound.is_int() && !bound.is_bool()) {
      return base::invalid_argument("slice indices must be integers or None or have an __index__ method");
    }
    bounds[idx] = bound.as_int();
  }
  if (object.is_undefined()) return base::invalid_argument("{}", undefined_message(object));
  if (!object.is_string() && !object.is_indexable()) return missing(object, "slice", false);
  FOVEA_RETURN_IF_ERROR(charge_steps(walk_cost(object)));
  return slice_value(object, bounds[0], bounds[1], bounds[2]);
}

base::Result<Value> Evaluator::eval_compare(const Expr& expr) {
  FOVEA_ASSIGN_OR_RETURN(Value left, eval(*expr.children[0]));
  for (size_t idx = 0; idx < expr.compare_ops.size(); ++idx) {
    FOVEA_ASSIGN_OR_RETURN(Value right, eval(*expr.children[idx + 1]));
    CompareOp op = expr.compare_ops[idx];
    uint64_t cost = op == CompareOp::kIn || op == CompareOp::kNotIn ? walk_cost(right)
                                                                    : std::min(walk_cost(left), walk_cost(right));
    FOVEA_RETURN_IF_ERROR(charge_steps(cost));
    FOVEA_ASSIGN_OR_RETURN(bool result, compare(op, left, right));
    if (!result) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

base::Result<Value> Evaluator::eval_collection(const Expr& expr) {
  if (expr.kind == ExprKind::kDict) {
    auto dict = std::make_shared<Dict>();
    for (size_t idx = 0; idx + 1 < expr.children.size(); idx += 2) {
      FOVEA_ASSIGN_OR_RETURN(Value key, eval(*expr.children[idx]));
      FOVEA_ASSIGN_OR_RETURN(Value value, eval(*expr.children[idx + 1]));
      FOVEA_RETURN_IF_ERROR(dict->set(std::move(key), std::move(value)));
    }
    return Value::dict(std::move(dict));
  }
  std::vector<Value> items;
  items.reserve(expr.children.size());
  for (const ExprPtr& child : expr.children) {
    FOVEA_ASSIGN_OR_RETURN(Value item, eval(*child));
    items.push_back(std::move(item));
  }
  return Value::sequence(std::move(items), expr.kind == ExprKind::kTuple ? SequenceKind::kTuple : SequenceKind::kList);
}

base::Result<Value> Evaluator::eval_inner(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kConst:
      return expr.constant;
    case ExprKind::kName:
      return lookup(expr.name);
    case ExprKind::kGetattr: {
      FOVEA_ASSIGN_OR_RETURN(Value object, eval(*expr.children[0]));
      return get_attribute(object, expr.name);
    }
    case ExprKind::kGetitem:
      return eval_getitem(expr);
    case ExprKind::kCall:
      return eval_call(expr);
    case ExprKind::kFilter: {
      Value input;
      if (expr.children[0]->kind == ExprKind::kPlaceholder) {
        if (placeholder_ == nullptr) return base::internal_error("filter block without a body");
        input = *placeholder_;
      } else {
        FOVEA_ASSIGN_OR_RETURN(input, eval(*expr.children[0]));
      }
      FOVEA_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr.args));
      return apply_filter(expr.name, input, std::move(args));
    }
    case ExprKind::kTest: {
      FOVEA_ASSIGN_OR_RETURN(Value input, eval(*expr.children[0]));
      FOVEA_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr.args));
      FOVEA_ASSIGN_OR_RETURN(bool passed, apply_test(expr.name, input, std::move(args)));
      return Value::boolean(passed);
    }
    case ExprKind::kUnary: {
      FOVEA_ASSIGN_OR_RETURN(Value operand, eval(*expr.children[0]));
      return expr.negative ? negate(operand) : unary_plus(operand);
    }
    case ExprKind::kNot: {
      FOVEA_ASSIGN_OR_RETURN(Value operand, eval(*expr.children[0]));
      return Value::boolean(!truthy(operand));
    }
    case ExprKind::kBinary: {
      FOVEA_ASSIGN_OR_RETURN(Value left, eval(*expr.children[0]));
      FOVEA_ASSIGN_OR_RETURN(Value right, eval(*expr.children[1]));
      // Concatenation and repetition copy their operands: charge for the walk.
      FOVEA_RETURN_IF_ERROR(charge_steps(walk_cost(left) + walk_cost(right)));
      return binary_op(expr.binary_op, left, right, limits_);
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      FOVEA_ASSIGN_OR_RETURN(Value left, eval(*expr.children[0]));
      bool left_true = truthy(left);
      if (expr.kind == ExprKind::kAnd ? !left_true : left_true) return left;
      return eval(*expr.children[1]);
    }
    case ExprKind::kCompare:
      return eval_compare(expr);
    case ExprKind::kConcat: {
      std::string out;
      for (const ExprPtr& child : expr.children) {
        FOVEA_ASSIGN_OR_RETURN(Value part, eval(*child));
        FOVEA_RETURN_IF_ERROR(append_str(out, part, limits_.max_string_bytes));
      }
      if (out.size() > limits_.max_string_bytes) {
        return base::out_of_range("the template built a string larger than the {} byte limit",
                                  limits_.max_string_bytes);
      }
      return Value::string(std::move(out));
    }
    case ExprKind::kCondition: {
      FOVEA_ASSIGN_OR_RETURN(Value test, eval(*expr.children[1]));
      if (truthy(test)) return eval(*expr.children[0]);
      if (expr.children[2]) return eval(*expr.children[2]);
      UndefinedInfo info;
      info.hint = "the inline if-expression on line " + std::to_string(expr.line) +
                  " evaluated to false and no else section was defined.";
      return Value::undefined(std::move(info));
    }
    case ExprKind::kList:
    case ExprKind::kTuple:
    case ExprKind::kDict:
      return eval_collection(expr);
    case ExprKind::kPlaceholder:
      if (placeholder_ == nullptr) return base::internal_error("filter block without a body");
      return *placeholder_;
    case ExprKind::kSlice:
    case ExprKind::kNsRef:
      break;
  }
  return base::invalid_argument("this expression cannot be evaluated here");
}

}  // namespace fovea::text::jinja
