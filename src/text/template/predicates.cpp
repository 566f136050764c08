// jinja2's builtin tests (jinja2/tests.py) with Python's semantics for each.
#include "text/template/predicates.h"

#include <utility>

#include "text/template/call_args.h"
#include "text/template/filters.h"
#include "text/template/unicode_text.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

base::Result<Value> one_arg(std::string_view name, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args("test '" + std::string(name) + "'", args, {{"other", true}}));
  return bound[0];
}

base::Status no_args(std::string_view name, const CallArgs& args) {
  return bind_args("test '" + std::string(name) + "'", args, {}).status();
}

#define FOVEA_SIMPLE_TEST(fn_name, test_name, expression)                            \
  base::Result<bool> fn_name(Evaluator&, const Value& value, const CallArgs& args) { \
    FOVEA_RETURN_IF_ERROR(no_args(test_name, args));                                 \
    (void)value;                                                                     \
    return (expression);                                                             \
  }

FOVEA_SIMPLE_TEST(test_defined, "defined", !value.is_undefined())
FOVEA_SIMPLE_TEST(test_undefined, "undefined", value.is_undefined())
FOVEA_SIMPLE_TEST(test_none, "none", value.is_none())
FOVEA_SIMPLE_TEST(test_boolean, "boolean", value.is_bool())
FOVEA_SIMPLE_TEST(test_false, "false", value.is_bool() && !value.as_bool())
FOVEA_SIMPLE_TEST(test_true, "true", value.is_bool() && value.as_bool())
FOVEA_SIMPLE_TEST(test_integer, "integer", value.is_int())
FOVEA_SIMPLE_TEST(test_float, "float", value.is_float())
FOVEA_SIMPLE_TEST(test_string, "string", value.is_string())
FOVEA_SIMPLE_TEST(test_mapping, "mapping", value.is_dict())
FOVEA_SIMPLE_TEST(test_number, "number", value.is_number())
FOVEA_SIMPLE_TEST(test_escaped, "escaped", false)
FOVEA_SIMPLE_TEST(test_iterable, "iterable",
                  value.is_undefined() || value.is_string() || value.is_sequence() || value.is_dict())
FOVEA_SIMPLE_TEST(test_sequence, "sequence",
                  value.is_undefined() || value.is_string() || value.is_indexable() || value.is_dict())
FOVEA_SIMPLE_TEST(test_callable, "callable",
                  value.is_undefined() || (value.is_object() && value.as_object().callable()))

#undef FOVEA_SIMPLE_TEST

base::Result<bool> case_test(Evaluator& evaluator, const Value& value, const CallArgs& args, bool upper) {
  FOVEA_RETURN_IF_ERROR(no_args(upper ? "upper" : "lower", args));
  FOVEA_ASSIGN_OR_RETURN(std::string text, evaluator.to_str(value));
  return upper ? python_isupper(text) : python_islower(text);
}
base::Result<bool> test_lower(Evaluator& e, const Value& v, const CallArgs& a) { return case_test(e, v, a, false); }
base::Result<bool> test_upper(Evaluator& e, const Value& v, const CallArgs& a) { return case_test(e, v, a, true); }

base::Result<bool> parity(Evaluator& evaluator, const Value& value, const CallArgs& args, bool odd) {
  FOVEA_RETURN_IF_ERROR(no_args(odd ? "odd" : "even", args));
  FOVEA_ASSIGN_OR_RETURN(Value rest, binary_op(BinaryOp::kMod, value, Value::integer(2), evaluator.limits()));
  return values_equal(rest, Value::integer(odd ? 1 : 0));
}
base::Result<bool> test_odd(Evaluator& e, const Value& v, const CallArgs& a) { return parity(e, v, a, true); }
base::Result<bool> test_even(Evaluator& e, const Value& v, const CallArgs& a) { return parity(e, v, a, false); }

base::Result<bool> test_divisibleby(Evaluator& evaluator, const Value& value, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(Value num, one_arg("divisibleby", args));
  FOVEA_ASSIGN_OR_RETURN(Value rest, binary_op(BinaryOp::kMod, value, num, evaluator.limits()));
  return values_equal(rest, Value::integer(0));
}

base::Result<bool> test_sameas(Evaluator&, const Value& value, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(Value other, one_arg("sameas", args));
  if (value.kind() != other.kind()) return false;
  switch (value.kind()) {
    case ValueKind::kNone:
    case ValueKind::kUndefined:
      return value.is_none();
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kFloat:
      return values_equal(value, other);
    default:
      return value.identity() == other.identity();
  }
}

base::Result<bool> test_in(Evaluator&, const Value& value, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(Value seq, one_arg("in", args));
  return contains(seq, value);
}

base::Result<bool> test_filter(Evaluator&, const Value& value, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(no_args("filter", args));
  return value.is_string() && find_filter(value.as_string()) != nullptr;
}

base::Result<bool> test_test(Evaluator&, const Value& value, const CallArgs& args) {
  FOVEA_RETURN_IF_ERROR(no_args("test", args));
  return value.is_string() && find_test(value.as_string()) != nullptr;
}

template <CompareOp kOp>
base::Result<bool> compare_test(Evaluator&, const Value& value, const CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(Value other, one_arg("comparison", args));
  return compare(kOp, value, other);
}

struct TestEntry {
  std::string_view name;
  TestFn fn;
};

constexpr TestEntry kTests[] = {
    {"odd", test_odd},
    {"even", test_even},
    {"divisibleby", test_divisibleby},
    {"defined", test_defined},
    {"undefined", test_undefined},
    {"filter", test_filter},
    {"test", test_test},
    {"none", test_none},
    {"boolean", test_boolean},
    {"false", test_false},
    {"true", test_true},
    {"integer", test_integer},
    {"float", test_float},
    {"lower", test_lower},
    {"upper", test_upper},
    {"string", test_string},
    {"mapping", test_mapping},
    {"number", test_number},
    {"sequence", test_sequence},
    {"iterable", test_iterable},
    {"callable", test_callable},
    {"sameas", test_sameas},
    {"escaped", test_escaped},
    {"in", test_in},
    {"==", compare_test<CompareOp::kEq>},
    {"eq", compare_test<CompareOp::kEq>},
    {"equalto", compare_test<CompareOp::kEq>},
    {"!=", compare_test<CompareOp::kNe>},
    {"ne", compare_test<CompareOp::kNe>},
    {">", compare_test<CompareOp::kGt>},
    {"gt", compare_test<CompareOp::kGt>},
    {"greaterthan", compare_test<CompareOp::kGt>},
    {">=", compare_test<CompareOp::kGe>},
    {"ge", compare_test<CompareOp::kGe>},
    {"<", compare_test<CompareOp::kLt>},
    {"lt", compare_test<CompareOp::kLt>},
    {"lessthan", compare_test<CompareOp::kLt>},
    {"<=", compare_test<CompareOp::kLe>},
    {"le", compare_test<CompareOp::kLe>},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const TestEntry& entry : kTests) {
    if (entry.name == name) return entry.fn;
  }
  return nullptr;
}

}  // namespace fovea::text::jinja
