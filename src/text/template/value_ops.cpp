// Python operator semantics on template values.
#include "text/template/value_ops.h"

#include <algorithm>
#include <cmath>

#include "base/checked_math.h"
#include "text/template/percent_format.h"
#include "text/template/unicode_text.h"
#include "text/template/value_format.h"

namespace fovea::text::jinja {
namespace {

base::Status type_error(std::string message) { return base::invalid_argument("{}", message); }

base::Status unsupported(BinaryOp op, const Value& left, const Value& right) {
  return base::invalid_argument("unsupported operand type(s) for {}: '{}' and '{}'", binary_op_symbol(op),
                                python_type_name(left), python_type_name(right));
}

base::Status overflow(BinaryOp op) {
  return base::out_of_range("integer overflow in '{}': fovea's template integers are 64-bit", binary_op_symbol(op));
}

base::Status check_string_size(uint64_t bytes, const TemplateLimits& limits) {
  if (bytes > limits.max_string_bytes) {
    return base::out_of_range("the template built a string of {} bytes, more than the limit of {}", bytes,
                              limits.max_string_bytes);
  }
  return base::Status();
}

base::Status check_items(uint64_t items, const TemplateLimits& limits) {
  if (items > limits.max_items) {
    return base::out_of_range("the template built a list of {} items, more than the limit of {}", items,
                              limits.max_items);
  }
  return base::Status();
}

// Python's divmod for floats (sign of the divisor, exact floor).
void float_divmod(double a, double b, double& floordiv, double& mod) {
  mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, a / b);
  }
}

base::Result<Value> repeat(const Value& seq_value, int64_t count, const TemplateLimits& limits) {
  if (count < 0) count = 0;
  if (seq_value.is_string()) {
    const std::string& text = seq_value.as_string();
    auto bytes = base::checked_mul(static_cast<uint64_t>(text.size()), static_cast<uint64_t>(count));
    if (!bytes) return check_string_size(UINT64_MAX, limits);
    FOVEA_RETURN_IF_ERROR(check_string_size(*bytes, limits));
    std::string out;
    out.reserve(*bytes);
    for (int64_t idx = 0; idx < count; ++idx) out += text;
    return Value::string(std::move(out));
  }
  const Sequence& seq = seq_value.as_sequence();
  auto items = base::checked_mul(static_cast<uint64_t>(seq.items.size()), static_cast<uint64_t>(count));
  if (!items) return check_items(UINT64_MAX, limits);
  FOVEA_RETURN_IF_ERROR(check_items(*items, limits));
  std::vector<Value> out;
  out.reserve(*items);
  for (int64_t idx = 0; idx < count; ++idx) out.insert(out.end(), seq.items.begin(), seq.items.end());
  return Value::sequence(std::move(out), seq.kind);
}

base::Result<Value> int_pow(int64_t base_value, int64_t exponent) {
  if (exponent < 0) {
    if (base_value == 0) return base::invalid_argument("0.0 cannot be raised to a negative power");
    return Value::floating(std::pow(static_cast<double>(base_value), static_cast<double>(exponent)));
  }
  int64_t result = 1;
  int64_t factor = base_value;
  while (exponent > 0) {
    if (exponent & 1) {
      auto next = base::checked_mul(result, factor);
      if (!next) return overflow(BinaryOp::kPow);
      result = *next;
    }
    exponent >>= 1;
    if (exponent > 0) {
      auto next = base::checked_mul(factor, factor);
      if (!next) return overflow(BinaryOp::kPow);
      factor = *next;
    }
  }
  return Value::integer(result);
}

base::Result<Value> arithmetic(BinaryOp op, const Value& left, const Value& right) {
  bool use_float = left.is_float() || right.is_float() || op == BinaryOp::kDiv;
  if (!use_float) {
    int64_t a = left.as_int();
    int64_t b = right.as_int();
    int64_t out = 0;
    switch (op) {
      case BinaryOp::kAdd:
        if (__builtin_add_overflow(a, b, &out)) return overflow(op);
        return Value::integer(out);
      case BinaryOp::kSub:
        if (__builtin_sub_overflow(a, b, &out)) return overflow(op);
        return Value::integer(out);
      case BinaryOp::kMul:
        if (__builtin_mul_overflow(a, b, &out)) return overflow(op);
        return Value::integer(out);
      case BinaryOp::kFloorDiv:
      case BinaryOp::kMod: {
        if (b == 0) {
          return base::invalid_argument(
              "{}", op == BinaryOp::kMod ? "integer modulo by zero" : "integer division or modulo by zero");
        }
        if (a == INT64_MIN && b == -1) {
          if (op == BinaryOp::kMod) return Value::integer(0);
          return overflow(op);
        }
        int64_t quotient = a / b;
        int64_t remainder = a % b;
        if (remainder != 0 && ((remainder < 0) != (b < 0))) {
          quotient -= 1;
          remainder += b;
        }
        return Value::integer(op == BinaryOp::kMod ? remainder : quotient);
      }
      case BinaryOp::kPow:
        return int_pow(a, b);
      case BinaryOp::kDiv:
        break;
    }
  }
  double a = left.as_double();
  double b = right.as_double();
  switch (op) {
    case BinaryOp::kAdd:
      return Value::floating(a + b);
    case BinaryOp::kSub:
      return Value::floating(a - b);
    case BinaryOp::kMul:
      return Value::floating(a * b);
    case BinaryOp::kDiv:
      if (b == 0.0) {
        return base::invalid_argument(
            "{}", left.is_float() || right.is_float() ? "float division by zero" : "division by zero");
      }
      return Value::floating(a / b);
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (b == 0.0) {
        return base::invalid_argument("{}", op == BinaryOp::kMod ? "float modulo" : "float floor division by zero");
      }
      double floordiv = 0.0;
      double mod = 0.0;
      float_divmod(a, b, floordiv, mod);
      return Value::floating(op == BinaryOp::kMod ? mod : floordiv);
    }
    case BinaryOp::kPow:
      if (a == 0.0 && b < 0.0) return base::invalid_argument("0.0 cannot be raised to a negative power");
      if (a < 0.0 && std::trunc(b) != b) {
        return base::unsupported(
            "a negative number raised to a fractional power is complex, which templates "
            "cannot hold");
      }
      return Value::floating(std::pow(a, b));
  }
  return unsupported(op, left, right);
}

bool same_concat_kind(const Value& left, const Value& right) {
  if (!left.is_sequence() || !right.is_sequence()) return false;
  SequenceKind a = left.as_sequence().kind;
  SequenceKind b = right.as_sequence().kind;
  return a == b && (a == SequenceKind::kList || a == SequenceKind::kTuple);
}

base::Status not_orderable(const Value& left, const Value& right) {
  return base::invalid_argument("'<' not supported between instances of '{}' and '{}'", python_type_name(left),
                                python_type_name(right));
}

// Clamps slice bounds exactly as CPython's PySlice_AdjustIndices does.
void adjust_slice(int64_t length, std::optional<int64_t> start_opt, std::optional<int64_t> stop_opt, int64_t step,
                  int64_t& start, int64_t& stop) {
  auto clamp = [&](std::optional<int64_t> bound, int64_t fallback) {
    if (!bound) return fallback;
    int64_t value = *bound;
    if (value < 0) {
      value += length;
      if (value < 0) value = step < 0 ? -1 : 0;
    } else if (value >= length) {
      value = step < 0 ? length - 1 : length;
    }
    return value;
  };
  start = clamp(start_opt, step < 0 ? length - 1 : 0);
  stop = clamp(stop_opt, step < 0 ? -1 : length);
}

}  // namespace

const char* binary_op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "** or pow()";
  }
  return "?";
}

base::Result<Value> binary_op(BinaryOp op, const Value& left, const Value& right, const TemplateLimits& limits) {
  if (left.is_undefined()) return type_error(undefined_message(left));
  if (op == BinaryOp::kMod && left.is_string()) return percent_format(left.as_string(), right, limits);
  if (right.is_undefined()) return type_error(undefined_message(right));
  if (left.is_number() && right.is_number()) return arithmetic(op, left, right);
  if (op == BinaryOp::kAdd) {
    if (left.is_string() && right.is_string()) {
      FOVEA_RETURN_IF_ERROR(check_string_size(left.as_string().size() + right.as_string().size(), limits));
      return Value::string(left.as_string() + right.as_string());
    }
    if (same_concat_kind(left, right)) {
      const auto& a = left.as_sequence().items;
      const auto& b = right.as_sequence().items;
      FOVEA_RETURN_IF_ERROR(check_items(a.size() + b.size(), limits));
      std::vector<Value> items;
      items.reserve(a.size() + b.size());
      items.insert(items.end(), a.begin(), a.end());
      items.insert(items.end(), b.begin(), b.end());
      return Value::sequence(std::move(items), left.as_sequence().kind);
    }
    if (left.is_string() || left.is_list_like()) {
      return base::invalid_argument("can only concatenate {} (not \"{}\") to {}", python_type_name(left),
                                    python_type_name(right), python_type_name(left));
    }
    return unsupported(op, left, right);
  }
  if (op == BinaryOp::kMul) {
    bool left_seq = left.is_string() || left.is_list_like();
    bool right_seq = right.is_string() || right.is_list_like();
    if (left_seq && (right.is_int() || right.is_bool())) return repeat(left, right.as_int(), limits);
    if (right_seq && (left.is_int() || left.is_bool())) return repeat(right, left.as_int(), limits);
    if (left_seq || right_seq) {
      return base::invalid_argument("can't multiply sequence by non-int of type '{}'",
                                    python_type_name(left_seq ? right : left));
    }
  }
  return unsupported(op, left, right);
}

base::Result<Value> negate(const Value& operand) {
  if (operand.is_undefined()) return type_error(undefined_message(operand));
  if (operand.is_float()) return Value::floating(-operand.as_double());
  if (operand.is_int() || operand.is_bool()) {
    if (operand.as_int() == INT64_MIN) return overflow(BinaryOp::kSub);
    return Value::integer(-operand.as_int());
  }
  return base::invalid_argument("bad operand type for unary -: '{}'", python_type_name(operand));
}

base::Result<Value> unary_plus(const Value& operand) {
  if (operand.is_undefined()) return type_error(undefined_message(operand));
  if (operand.is_float()) return operand;
  if (operand.is_int() || operand.is_bool()) return Value::integer(operand.as_int());
  return base::invalid_argument("bad operand type for unary +: '{}'", python_type_name(operand));
}

base::Result<int> order_values(const Value& left, const Value& right) {
  if (left.is_undefined()) return type_error(undefined_message(left));
  if (right.is_undefined()) return type_error(undefined_message(right));
  if (left.is_number() && right.is_number()) {
    if (!left.is_float() && !right.is_float()) {
      int64_t a = left.as_int();
      int64_t b = right.as_int();
      return a < b ? -1 : a > b ? 1 : 0;
    }
    double a = left.as_double();
    double b = right.as_double();
    if (values_equal(left, right)) return 0;
    return a < b ? -1 : 1;
  }
  if (left.is_string() && right.is_string()) {
    int cmp = left.as_string().compare(right.as_string());
    return cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
  }
  if (same_concat_kind(left, right)) {
    const auto& a = left.as_sequence().items;
    const auto& b = right.as_sequence().items;
    for (size_t idx = 0; idx < a.size() && idx < b.size(); ++idx) {
      if (values_equal(a[idx], b[idx])) continue;
      return order_values(a[idx], b[idx]);
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  }
  return not_orderable(left, right);
}

base::Result<bool> compare(CompareOp op, const Value& left, const Value& right) {
  switch (op) {
    case CompareOp::kEq:
      return values_equal(left, right);
    case CompareOp::kNe:
      return !values_equal(left, right);
    case CompareOp::kIn:
      return contains(right, left);
    case CompareOp::kNotIn: {
      FOVEA_ASSIGN_OR_RETURN(bool found, contains(right, left));
      return !found;
    }
    default:
      break;
  }
  bool nan_involved =
      (left.is_float() && std::isnan(left.as_double())) || (right.is_float() && std::isnan(right.as_double()));
  auto ordered = order_values(left, right);
  if (!ordered.ok()) {
    if (left.is_undefined() || right.is_undefined()) return ordered.status();
    const char* symbol = op == CompareOp::kLt ? "<" : op == CompareOp::kLe ? "<=" : op == CompareOp::kGt ? ">" : ">=";
    return base::invalid_argument("'{}' not supported between instances of '{}' and '{}'", symbol,
                                  python_type_name(left), python_type_name(right));
  }
  if (nan_involved) return false;
  switch (op) {
    case CompareOp::kLt:
      return *ordered < 0;
    case CompareOp::kLe:
      return *ordered <= 0;
    case CompareOp::kGt:
      return *ordered > 0;
    case CompareOp::kGe:
      return *ordered >= 0;
    default:
      return false;
  }
}

base::Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::kUndefined:
      return false;
    case ValueKind::kString:
      if (!item.is_string()) {
        return base::invalid_argument("'in <string>' requires string as left operand, not {}", python_type_name(item));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case ValueKind::kSequence: {
      const Sequence& seq = container.as_sequence();
      if (seq.kind == SequenceKind::kIterator) {
        if (seq.consumed) return false;
        seq.consumed = true;
      }
      return std::any_of(seq.items.begin(), seq.items.end(),
                         [&](const Value& candidate) { return values_equal(candidate, item); });
    }
    case ValueKind::kDict: {
      FOVEA_RETURN_IF_ERROR(hash_value(item).status());
      return container.as_dict().find(item) != nullptr;
    }
    default:
      return base::invalid_argument("argument of type '{}' is not iterable", python_type_name(container));
  }
}

base::Result<int64_t> length_of(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kUndefined:
      return int64_t{0};
    case ValueKind::kString:
      return static_cast<int64_t>(count_code_points(value.as_string()));
    case ValueKind::kSequence:
      if (value.as_sequence().kind == SequenceKind::kIterator) break;
      return static_cast<int64_t>(value.as_sequence().items.size());
    case ValueKind::kDict:
      return static_cast<int64_t>(value.as_dict().size());
    default:
      break;
  }
  return base::invalid_argument("object of type '{}' has no len()", python_type_name(value));
}

base::Result<std::vector<Value>> iterate(const Value& value) {
  std::vector<Value> items;
  switch (value.kind()) {
    case ValueKind::kUndefined:
      return items;
    case ValueKind::kString: {
      const std::string& text = value.as_string();
      size_t pos = 0;
      while (pos < text.size()) {
        size_t begin = pos;
        next_code_point(text, pos);
        items.push_back(Value::string(text.substr(begin, pos - begin)));
      }
      return items;
    }
    case ValueKind::kSequence: {
      const Sequence& seq = value.as_sequence();
      if (seq.kind == SequenceKind::kIterator) {
        if (seq.consumed) return items;
        seq.consumed = true;
      }
      return seq.items;
    }
    case ValueKind::kDict:
      items.reserve(value.as_dict().size());
      for (const auto& entry : value.as_dict().entries()) items.push_back(entry.first);
      return items;
    default:
      return base::invalid_argument("'{}' object is not iterable", python_type_name(value));
  }
}

std::optional<Value> index_sequence(const Value& container, int64_t index) {
  if (container.is_string()) {
    const std::string& text = container.as_string();
    if (is_ascii(text)) {
      auto length = static_cast<int64_t>(text.size());
      if (index < 0) index += length;
      if (index < 0 || index >= length) return std::nullopt;
      return Value::string(std::string(1, text[static_cast<size_t>(index)]));
    }
    std::u32string code_points = decode_utf8(text);
    auto length = static_cast<int64_t>(code_points.size());
    if (index < 0) index += length;
    if (index < 0 || index >= length) return std::nullopt;
    std::string out;
    append_utf8(out, code_points[static_cast<size_t>(index)]);
    return Value::string(std::move(out));
  }
  if (!container.is_indexable()) return std::nullopt;
  const auto& items = container.as_sequence().items;
  auto length = static_cast<int64_t>(items.size());
  if (index < 0) index += length;
  if (index < 0 || index >= length) return std::nullopt;
  return items[static_cast<size_t>(index)];
}

base::Result<Value> slice_value(const Value& container, std::optional<int64_t> start_opt,
                                std::optional<int64_t> stop_opt, std::optional<int64_t> step_opt) {
  int64_t step = step_opt.value_or(1);
  if (step == 0) return base::invalid_argument("slice step cannot be zero");
  if (container.is_undefined()) return type_error(undefined_message(container));
  auto take = [&](int64_t length, auto&& emit) {
    int64_t start = 0;
    int64_t stop = 0;
    adjust_slice(length, start_opt, stop_opt, step, start, stop);
    for (int64_t idx = start; step > 0 ? idx < stop : idx > stop; idx += step) emit(static_cast<size_t>(idx));
  };
  if (container.is_string()) {
    const std::string& text = container.as_string();
    std::string out;
    if (is_ascii(text)) {
      take(static_cast<int64_t>(text.size()), [&](size_t idx) { out += text[idx]; });
    } else {
      std::u32string code_points = decode_utf8(text);
      take(static_cast<int64_t>(code_points.size()), [&](size_t idx) { append_utf8(out, code_points[idx]); });
    }
    return Value::string(std::move(out));
  }
  if (container.is_indexable()) {
    const Sequence& seq = container.as_sequence();
    std::vector<Value> out;
    take(static_cast<int64_t>(seq.items.size()), [&](size_t idx) { out.push_back(seq.items[idx]); });
    return Value::sequence(std::move(out), seq.kind == SequenceKind::kRange ? SequenceKind::kList : seq.kind);
  }
  return base::invalid_argument("'{}' object is not subscriptable", python_type_name(container));
}

base::Result<int64_t> to_int(const Value& value) {
  if (value.is_int() || value.is_bool()) return value.as_int();
  if (value.is_float()) {
    double number = value.as_double();
    if (std::isnan(number)) return base::invalid_argument("cannot convert float NaN to integer");
    if (std::isinf(number)) return base::invalid_argument("cannot convert float infinity to integer");
    double whole = std::trunc(number);
    if (whole >= 9223372036854775808.0 || whole < -9223372036854775808.0) {
      return base::out_of_range("{} does not fit in fovea's 64-bit template integers", format_float(number));
    }
    return static_cast<int64_t>(whole);
  }
  return base::invalid_argument("int() argument must be a string or a number, not '{}'", python_type_name(value));
}

}  // namespace fovea::text::jinja
