// Expression parsing: jinja2's operator precedence, tuples, subscripts, calls, filters and tests.
#include "text/template/parser_impl.h"

namespace fovea::text::jinja {

bool Parser::is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
  TokenKind kind = cur().kind;
  if (kind == TokenKind::kVariableEnd || kind == TokenKind::kBlockEnd || is_op(")")) return true;
  return cur().kind == TokenKind::kName && std::find(extra_end.begin(), extra_end.end(), cur().text) != extra_end.end();
}

base::Result<ExprPtr> Parser::parse_tuple(bool simplified, bool with_condexpr,
                                          std::initializer_list<std::string_view> extra_end, bool explicit_parentheses,
                                          bool with_namespace) {
  int line = cur().line;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
    if (is_tuple_end(extra_end)) break;
    base::Result<ExprPtr> item = simplified ? parse_primary(with_namespace) : parse_expression(with_condexpr);
    if (!item.ok()) return item.status();
    items.push_back(std::move(item).value());
    if (is_op(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parentheses) return fail("Expected an expression, got '" + describe_token(cur()) + "'");
  }
  auto tuple = make(ExprKind::kTuple, line);
  tuple->children = std::move(items);
  return finish(std::move(tuple));
}

base::Result<ExprPtr> Parser::parse_assign_target(std::initializer_list<std::string_view> extra_end,
                                                  bool with_namespace) {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr target, parse_tuple(true, true, extra_end, false, with_namespace));
  auto assignable = [](const Expr& expr) { return expr.kind == ExprKind::kName || expr.kind == ExprKind::kNsRef; };
  bool ok =
      assignable(*target) || (target->kind == ExprKind::kTuple &&
                              std::all_of(target->children.begin(), target->children.end(), [](const ExprPtr& child) {
                                return child->kind == ExprKind::kName || child->kind == ExprKind::kNsRef;
                              }));
  if (!ok) {
    return base::invalid_argument("syntax error at line {}: can't assign to '{}'", line,
                                  target->kind == ExprKind::kConst ? "const" : "expression");
  }
  return target;
}

base::Result<ExprPtr> Parser::parse_condexpr() {
  DepthGuard guard(*this);
  if (guard.too_deep()) return too_deep();
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr expr, parse_or());
  while (skip_name("if")) {
    auto cond = make(ExprKind::kCondition, line);
    FOVEA_ASSIGN_OR_RETURN(ExprPtr test, parse_or());
    ExprPtr otherwise;
    if (skip_name("else")) {
      FOVEA_ASSIGN_OR_RETURN(otherwise, parse_condexpr());
    }
    cond->children.push_back(std::move(expr));
    cond->children.push_back(std::move(test));
    cond->children.push_back(std::move(otherwise));
    FOVEA_ASSIGN_OR_RETURN(expr, finish(std::move(cond)));
    line = cur().line;
  }
  return expr;
}

base::Result<ExprPtr> Parser::binary_node(ExprKind kind, ExprPtr left, ExprPtr right, int line) {
  auto node = make(kind, line);
  node->children.push_back(std::move(left));
  node->children.push_back(std::move(right));
  return finish(std::move(node));
}

base::Result<ExprPtr> Parser::parse_or() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
  while (skip_name("or")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr right, parse_and());
    FOVEA_ASSIGN_OR_RETURN(left, binary_node(ExprKind::kOr, std::move(left), std::move(right), line));
    line = cur().line;
  }
  return left;
}

base::Result<ExprPtr> Parser::parse_and() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
  while (skip_name("and")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr right, parse_not());
    FOVEA_ASSIGN_OR_RETURN(left, binary_node(ExprKind::kAnd, std::move(left), std::move(right), line));
    line = cur().line;
  }
  return left;
}

base::Result<ExprPtr> Parser::parse_not() {
  DepthGuard guard(*this);
  if (guard.too_deep()) return too_deep();
  if (is_name("not")) {
    int line = cur().line;
    next();
    auto node = make(ExprKind::kNot, line);
    FOVEA_ASSIGN_OR_RETURN(ExprPtr operand, parse_not());
    node->children.push_back(std::move(operand));
    return finish(std::move(node));
  }
  return parse_compare();
}

base::Result<ExprPtr> Parser::parse_compare() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr expr, parse_math1());
  auto node = make(ExprKind::kCompare, line);
  node->children.push_back(std::move(expr));
  while (true) {
    CompareOp op;
    if (is_op("==")) {
      op = CompareOp::kEq;
    } else if (is_op("!=")) {
      op = CompareOp::kNe;
    } else if (is_op("<")) {
      op = CompareOp::kLt;
    } else if (is_op("<=")) {
      op = CompareOp::kLe;
    } else if (is_op(">")) {
      op = CompareOp::kGt;
    } else if (is_op(">=")) {
      op = CompareOp::kGe;
    } else if (is_name("in")) {
      op = CompareOp::kIn;
    } else if (is_name("not") && peek().kind == TokenKind::kName && peek().text == "in") {
      op = CompareOp::kNotIn;
      next();
    } else {
      break;
    }
    next();
    FOVEA_ASSIGN_OR_RETURN(ExprPtr operand, parse_math1());
    node->compare_ops.push_back(op);
    node->children.push_back(std::move(operand));
  }
  if (node->compare_ops.empty()) return std::move(node->children[0]);
  return finish(std::move(node));
}

base::Result<ExprPtr> Parser::parse_math1() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr left, parse_concat());
  while (is_op("+") || is_op("-")) {
    BinaryOp op = is_op("+") ? BinaryOp::kAdd : BinaryOp::kSub;
    next();
    FOVEA_ASSIGN_OR_RETURN(ExprPtr right, parse_concat());
    FOVEA_ASSIGN_OR_RETURN(left, binary_node(ExprKind::kBinary, std::move(left), std::move(right), line));
    left->binary_op = op;
    line = cur().line;
  }
  return left;
}

base::Result<ExprPtr> Parser::parse_concat() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr first, parse_math2());
  if (!is_op("~")) return first;
  auto node = make(ExprKind::kConcat, line);
  node->children.push_back(std::move(first));
  while (skip_op("~")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr item, parse_math2());
    node->children.push_back(std::move(item));
  }
  return finish(std::move(node));
}

base::Result<ExprPtr> Parser::parse_math2() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr left, parse_pow());
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    BinaryOp op = is_op("*")    ? BinaryOp::kMul
                  : is_op("/")  ? BinaryOp::kDiv
                  : is_op("//") ? BinaryOp::kFloorDiv
                                : BinaryOp::kMod;
    next();
    FOVEA_ASSIGN_OR_RETURN(ExprPtr right, parse_pow());
    FOVEA_ASSIGN_OR_RETURN(left, binary_node(ExprKind::kBinary, std::move(left), std::move(right), line));
    left->binary_op = op;
    line = cur().line;
  }
  return left;
}

base::Result<ExprPtr> Parser::parse_pow() {
  int line = cur().line;
  FOVEA_ASSIGN_OR_RETURN(ExprPtr left, parse_unary(true));
  while (skip_op("**")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr right, parse_unary(true));
    FOVEA_ASSIGN_OR_RETURN(left, binary_node(ExprKind::kBinary, std::move(left), std::move(right), line));
    left->binary_op = BinaryOp::kPow;
    line = cur().line;
  }
  return left;
}

base::Result<ExprPtr> Parser::parse_unary(bool with_filter) {
  DepthGuard guard(*this);
  if (guard.too_deep()) return too_deep();
  int line = cur().line;
  ExprPtr node;
  if (is_op("-") || is_op("+")) {
    bool negative = is_op("-");
    next();
    auto unary = make(ExprKind::kUnary, line);
    unary->negative = negative;
    FOVEA_ASSIGN_OR_RETURN(ExprPtr operand, parse_unary(false));
    unary->children.push_back(std::move(operand));
    FOVEA_ASSIGN_OR_RETURN(node, finish(std::move(unary)));
  } else {
    FOVEA_ASSIGN_OR_RETURN(node, parse_primary(false));
  }
  FOVEA_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
  if (with_filter) {
    FOVEA_ASSIGN_OR_RETURN(node, parse_filter_expr(std::move(node)));
  }
  return node;
}

base::Result<ExprPtr> Parser::parse_primary(bool with_namespace) {
  DepthGuard guard(*this);
  if (guard.too_deep()) return too_deep();
  const Token& token = cur();
  int line = token.line;
  if (token.kind == TokenKind::kName) {
    std::string name = token.text;
    next();
    auto node = make(ExprKind::kConst, line);
    if (name == "true" || name == "True" || name == "false" || name == "False") {
      node->constant = Value::boolean(name == "true" || name == "True");
    } else if (name == "none" || name == "None") {
      node->constant = Value::none();
    } else if (with_namespace && is_op(".")) {
      next();
      node->kind = ExprKind::kNsRef;
      node->name = name;
      FOVEA_ASSIGN_OR_RETURN(node->attr, expect_any_name());
    } else {
      node->kind = ExprKind::kName;
      node->name = name;
    }
    return node;
  }
  if (token.kind == TokenKind::kString) {
    std::string text;
    while (cur().kind == TokenKind::kString) {
      text += cur().text;
      next();
    }
    auto node = make(ExprKind::kConst, line);
    node->constant = Value::string(std::move(text));
    return node;
  }
  if (token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat) {
    auto node = make(ExprKind::kConst, line);
    node->constant =
        token.kind == TokenKind::kInteger ? Value::integer(token.int_value) : Value::floating(token.float_value);
    next();
    return node;
  }
  if (skip_op("(")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr inner, parse_tuple(false, true, {}, true, false));
    FOVEA_RETURN_IF_ERROR(expect_op(")"));
    return inner;
  }
  if (skip_op("[")) {
    auto node = make(ExprKind::kList, line);
    while (!is_op("]")) {
      if (!node->children.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
      if (is_op("]")) break;
      FOVEA_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
      node->children.push_back(std::move(item));
    }
    FOVEA_RETURN_IF_ERROR(expect_op("]"));
    return finish(std::move(node));
  }
  if (skip_op("{")) {
    auto node = make(ExprKind::kDict, line);
    while (!is_op("}")) {
      if (!node->children.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
      if (is_op("}")) break;
      FOVEA_ASSIGN_OR_RETURN(ExprPtr key, parse_expression(true));
      FOVEA_RETURN_IF_ERROR(expect_op(":"));
      FOVEA_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
      node->children.push_back(std::move(key));
      node->children.push_back(std::move(value));
    }
    FOVEA_RETURN_IF_ERROR(expect_op("}"));
    return finish(std::move(node));
  }
  return fail("unexpected '" + describe_token(token) + "'");
}

base::Result<ExprPtr> Parser::parse_postfix(ExprPtr node) {
  while (true) {
    if (is_op(".") || is_op("[")) {
      FOVEA_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node)));
    } else if (is_op("(")) {
      FOVEA_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

base::Result<ExprPtr> Parser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (is_op("|")) {
      FOVEA_ASSIGN_OR_RETURN(node, parse_filter(std::move(node), false));
    } else if (is_name("is")) {
      FOVEA_ASSIGN_OR_RETURN(node, parse_test(std::move(node)));
    } else if (is_op("(")) {
      FOVEA_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

base::Result<ExprPtr> Parser::parse_subscript(ExprPtr node) {
  int line = cur().line;
  if (skip_op(".")) {
    if (cur().kind == TokenKind::kName) {
      auto attr = make(ExprKind::kGetattr, line);
      attr->name = cur().text;
      next();
      attr->children.push_back(std::move(node));
      return finish(std::move(attr));
    }
    if (cur().kind != TokenKind::kInteger) return fail("expected name or number");
    auto index = make(ExprKind::kConst, line);
    index->constant = Value::integer(cur().int_value);
    next();
    return binary_node(ExprKind::kGetitem, std::move(node), std::move(index), line);
  }
  next();  // [
  std::vector<ExprPtr> args;
  while (!is_op("]")) {
    if (!args.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
    FOVEA_ASSIGN_OR_RETURN(ExprPtr arg, parse_subscribed());
    args.push_back(std::move(arg));
  }
  FOVEA_RETURN_IF_ERROR(expect_op("]"));
  ExprPtr subscript;
  if (args.size() == 1) {
    subscript = std::move(args[0]);
  } else {
    auto tuple = make(ExprKind::kTuple, line);
    tuple->children = std::move(args);
    FOVEA_ASSIGN_OR_RETURN(subscript, finish(std::move(tuple)));
  }
  return binary_node(ExprKind::kGetitem, std::move(node), std::move(subscript), line);
}

base::Result<ExprPtr> Parser::parse_subscribed() {
  int line = cur().line;
  std::vector<ExprPtr> parts;
  if (skip_op(":")) {
    parts.push_back(nullptr);
  } else {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr first, parse_expression(true));
    if (!skip_op(":")) return first;
    parts.push_back(std::move(first));
  }
  if (is_op(":") || is_op("]") || is_op(",")) {
    parts.push_back(nullptr);
  } else {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr stop, parse_expression(true));
    parts.push_back(std::move(stop));
  }
  if (skip_op(":") && !is_op("]") && !is_op(",")) {
    FOVEA_ASSIGN_OR_RETURN(ExprPtr step, parse_expression(true));
    parts.push_back(std::move(step));
  } else {
    parts.push_back(nullptr);
  }
  auto slice = make(ExprKind::kSlice, line);
  slice->children = std::move(parts);
  return finish(std::move(slice));
}

base::Status Parser::parse_call_args(ArgList& args) {
  int line = cur().line;
  FOVEA_RETURN_IF_ERROR(expect_op("("));
  bool require_comma = false;
  auto invalid = [&]() {
    return base::invalid_argument("syntax error at line {}: invalid syntax for function call expression", line);
  };
  while (!is_op(")")) {
    if (require_comma) {
      FOVEA_RETURN_IF_ERROR(expect_op(","));
      if (is_op(")")) break;
    }
    if (skip_op("*")) {
      if (args.star_args || args.star_kwargs) return invalid();
      FOVEA_ASSIGN_OR_RETURN(args.star_args, parse_expression(true));
    } else if (skip_op("**")) {
      if (args.star_kwargs) return invalid();
      FOVEA_ASSIGN_OR_RETURN(args.star_kwargs, parse_expression(true));
    } else if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOperator && peek().text == "=") {
      if (args.star_kwargs) return invalid();
      Keyword keyword;
      keyword.name = cur().text;
      next();
      next();
      FOVEA_ASSIGN_OR_RETURN(keyword.value, parse_expression(true));
      args.keywords.push_back(std::move(keyword));
    } else {
      if (args.star_args || args.star_kwargs || !args.keywords.empty()) return invalid();
      FOVEA_ASSIGN_OR_RETURN(ExprPtr arg, parse_expression(true));
      args.positional.push_back(std::move(arg));
    }
    require_comma = true;
  }
  return expect_op(")");
}

base::Result<ExprPtr> Parser::parse_call(ExprPtr node) {
  auto call = make(ExprKind::kCall, cur().line);
  FOVEA_RETURN_IF_ERROR(parse_call_args(call->args));
  call->children.push_back(std::move(node));
  return finish(std::move(call));
}

base::Result<std::string> Parser::parse_dotted_name() {
  FOVEA_ASSIGN_OR_RETURN(std::string name, expect_any_name());
  while (skip_op(".")) {
    FOVEA_ASSIGN_OR_RETURN(std::string part, expect_any_name());
    name += "." + part;
  }
  return name;
}

base::Result<ExprPtr> Parser::parse_filter(ExprPtr node, bool start_inline) {
  while (is_op("|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    auto filter = make(ExprKind::kFilter, cur().line);
    FOVEA_ASSIGN_OR_RETURN(filter->name, parse_dotted_name());
    if (is_op("(")) FOVEA_RETURN_IF_ERROR(parse_call_args(filter->args));
    filter->children.push_back(std::move(node));
    FOVEA_ASSIGN_OR_RETURN(node, finish(std::move(filter)));
  }
  return node;
}

base::Result<ExprPtr> Parser::parse_test(ExprPtr node) {
  int line = cur().line;
  next();  // is
  bool negated = skip_name("not");
  auto test = make(ExprKind::kTest, line);
  FOVEA_ASSIGN_OR_RETURN(test->name, parse_dotted_name());
  TokenKind kind = cur().kind;
  bool starts_argument = kind == TokenKind::kName || kind == TokenKind::kString || kind == TokenKind::kInteger ||
                         kind == TokenKind::kFloat || is_op("[") || is_op("{");
  if (is_op("(")) {
    FOVEA_RETURN_IF_ERROR(parse_call_args(test->args));
  } else if (starts_argument && !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) return fail("You cannot chain multiple tests with is");
    FOVEA_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary(false));
    FOVEA_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
    test->args.positional.push_back(std::move(arg));
  }
  test->children.push_back(std::move(node));
  FOVEA_ASSIGN_OR_RETURN(ExprPtr result, finish(std::move(test)));
  if (!negated) return result;
  auto negation = make(ExprKind::kNot, line);
  negation->children.push_back(std::move(result));
  return finish(std::move(negation));
}

}  // namespace fovea::text::jinja
