// Statement parsing and the parser's entry point (expressions are in parser_expressions.cpp).
#include "text/template/parser.h"

#include "text/template/parser_impl.h"

namespace fovea::text::jinja {

std::string describe_token(const Token& token) {
  switch (token.kind) {
    case TokenKind::kData:
      return "template data";
    case TokenKind::kVariableBegin:
      return "begin of print statement";
    case TokenKind::kVariableEnd:
      return "end of print statement";
    case TokenKind::kBlockBegin:
      return "begin of statement block";
    case TokenKind::kBlockEnd:
      return "end of statement block";
    case TokenKind::kEof:
      return "end of template";
    case TokenKind::kInteger:
      return "integer";
    case TokenKind::kFloat:
      return "float";
    case TokenKind::kString:
      return "string";
    default:
      return token.text;
  }
}

// Parses until one of `end_tags` follows a `{%`; leaves the position on that tag name.
base::Result<StmtList> Parser::subparse(std::initializer_list<std::string_view> end_tags) {
  StmtList body;
  while (cur().kind != TokenKind::kEof) {
    const Token& token = cur();
    if (token.kind == TokenKind::kData) {
      auto stmt = std::make_unique<Stmt>();
      stmt->kind = StmtKind::kText;
      stmt->line = token.line;
      stmt->text = token.text;
      body.push_back(std::move(stmt));
      next();
    } else if (token.kind == TokenKind::kVariableBegin) {
      next();
      auto stmt = std::make_unique<Stmt>();
      stmt->kind = StmtKind::kOutput;
      stmt->line = token.line;
      FOVEA_ASSIGN_OR_RETURN(stmt->expr, parse_tuple(false, true, {}, false, false));
      FOVEA_RETURN_IF_ERROR(expect_kind(TokenKind::kVariableEnd));
      body.push_back(std::move(stmt));
    } else if (token.kind == TokenKind::kBlockBegin) {
      next();
      if (cur().kind == TokenKind::kName && std::find(end_tags.begin(), end_tags.end(), cur().text) != end_tags.end()) {
        return body;
      }
      FOVEA_ASSIGN_OR_RETURN(StmtPtr stmt, parse_statement());
      if (stmt) body.push_back(std::move(stmt));
      FOVEA_RETURN_IF_ERROR(expect_kind(TokenKind::kBlockEnd));
    } else {
      return fail("unexpected '" + describe_token(token) + "'");
    }
  }
  if (end_tags.size() != 0) {
    std::string wanted;
    for (std::string_view tag : end_tags) wanted += (wanted.empty() ? "'" : " or '") + std::string(tag) + "'";
    std::string innermost =
        tag_stack_.empty() ? "" : " The innermost block that needs to be closed is '" + tag_stack_.back() + "'.";
    return fail("Unexpected end of template. Jinja was looking for the following tags: " + wanted + "." + innermost);
  }
  return body;
}

// `:`? `%}` body; consumes the end tag name when drop_needle.
base::Result<StmtList> Parser::parse_body(std::initializer_list<std::string_view> end_tags, bool drop_needle) {
  skip_op(":");
  FOVEA_RETURN_IF_ERROR(expect_kind(TokenKind::kBlockEnd));
  FOVEA_ASSIGN_OR_RETURN(StmtList body, subparse(end_tags));
  if (drop_needle) next();
  return body;
}

base::Result<StmtPtr> Parser::parse_statement() {
  DepthGuard guard(*this);
  if (guard.too_deep()) return too_deep();
  if (cur().kind != TokenKind::kName) return fail("tag name expected");
  std::string tag = cur().text;
  tag_stack_.push_back(tag);
  auto result = parse_tag(tag);
  tag_stack_.pop_back();
  return result;
}

base::Result<StmtPtr> Parser::parse_tag(const std::string& tag) {
  auto stmt = std::make_unique<Stmt>();
  stmt->line = cur().line;
  if (tag == "for") return parse_for(std::move(stmt));
  if (tag == "if") return parse_if(std::move(stmt));
  if (tag == "set") return parse_set(std::move(stmt));
  if (tag == "macro") return parse_macro(std::move(stmt));
  if (tag == "call") return parse_call_block(std::move(stmt));
  if (tag == "filter") {
    next();
    stmt->kind = StmtKind::kFilterBlock;
    FOVEA_ASSIGN_OR_RETURN(stmt->filter, parse_filter(make(ExprKind::kPlaceholder, stmt->line), true));
    FOVEA_ASSIGN_OR_RETURN(stmt->body, parse_body({"endfilter"}, true));
    return stmt;
  }
  if (tag == "with") return parse_with(std::move(stmt));
  if (tag == "print") {
    next();
    stmt->kind = StmtKind::kOutput;
    auto tuple = make(ExprKind::kTuple, stmt->line);
    while (cur().kind != TokenKind::kBlockEnd) {
      if (!tuple->children.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
      FOVEA_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
      tuple->children.push_back(std::move(item));
    }
    if (tuple->children.size() == 1) {
      stmt->expr = std::move(tuple->children[0]);
    } else {
      FOVEA_ASSIGN_OR_RETURN(stmt->expr, finish(std::move(tuple)));
    }
    return stmt;
  }
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) return fail("'" + tag + "' outside of a for loop");
    next();
    stmt->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    return stmt;
  }
  if (tag == "generation" || tag == "autoescape") {
    next();
    if (tag == "autoescape") FOVEA_RETURN_IF_ERROR(parse_expression(true).status());
    stmt->kind = StmtKind::kScope;
    FOVEA_ASSIGN_OR_RETURN(stmt->body, parse_body({tag == "generation" ? "endgeneration" : "endautoescape"}, true));
    return stmt;
  }
  if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" || tag == "from") {
    return base::unsupported(
        "chat template line {}: the '{}' tag needs other template files, which chat templates "
        "cannot load",
        cur().line, tag);
  }
  std::string message = "Encountered unknown tag '" + tag + "'.";
  if (tag_stack_.size() > 1) {
    message += " The innermost block that needs to be closed is '" + tag_stack_[tag_stack_.size() - 2] + "'.";
  }
  return fail(message);
}

base::Result<StmtPtr> Parser::parse_for(StmtPtr stmt) {
  next();
  stmt->kind = StmtKind::kFor;
  FOVEA_ASSIGN_OR_RETURN(stmt->target, parse_assign_target({"in"}, false));
  FOVEA_RETURN_IF_ERROR(expect_name("in"));
  FOVEA_ASSIGN_OR_RETURN(stmt->expr, parse_tuple(false, false, {"recursive"}, false, false));
  if (skip_name("if")) {
    FOVEA_ASSIGN_OR_RETURN(stmt->condition, parse_expression(true));
  }
  stmt->recursive = skip_name("recursive");
  ++loop_depth_;
  auto body = parse_body({"endfor", "else"}, false);
  --loop_depth_;
  if (!body.ok()) return body.status();
  stmt->body = std::move(body).value();
  bool has_else = cur().text == "else";
  next();
  if (has_else) {
    FOVEA_ASSIGN_OR_RETURN(stmt->else_body, parse_body({"endfor"}, true));
  }
  return stmt;
}

base::Result<StmtPtr> Parser::parse_if(StmtPtr stmt) {
  next();
  stmt->kind = StmtKind::kIf;
  while (true) {
    IfBranch branch;
    FOVEA_ASSIGN_OR_RETURN(branch.test, parse_tuple(false, false, {}, false, false));
    FOVEA_ASSIGN_OR_RETURN(branch.body, parse_body({"elif", "else", "endif"}, false));
    stmt->branches.push_back(std::move(branch));
    std::string tag = cur().text;
    next();
    if (tag == "elif") continue;
    if (tag == "else") {
      FOVEA_ASSIGN_OR_RETURN(stmt->else_body, parse_body({"endif"}, true));
    }
    return stmt;
  }
}

base::Result<StmtPtr> Parser::parse_set(StmtPtr stmt) {
  next();
  FOVEA_ASSIGN_OR_RETURN(stmt->target, parse_assign_target({}, true));
  if (skip_op("=")) {
    stmt->kind = StmtKind::kSet;
    FOVEA_ASSIGN_OR_RETURN(stmt->expr, parse_tuple(false, true, {}, false, false));
    return stmt;
  }
  stmt->kind = StmtKind::kSetBlock;
  if (is_op("|")) {
    FOVEA_ASSIGN_OR_RETURN(stmt->filter, parse_filter(make(ExprKind::kPlaceholder, stmt->line), false));
  }
  FOVEA_ASSIGN_OR_RETURN(stmt->body, parse_body({"endset"}, true));
  return stmt;
}

base::Status Parser::parse_signature(Stmt& stmt) {
  FOVEA_RETURN_IF_ERROR(expect_op("("));
  while (!is_op(")")) {
    if (!stmt.params.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
    MacroParam param;
    FOVEA_ASSIGN_OR_RETURN(param.name, expect_any_name());
    if (skip_op("=")) {
      FOVEA_ASSIGN_OR_RETURN(param.default_value, parse_expression(true));
    } else if (!stmt.params.empty() && stmt.params.back().default_value) {
      return fail("non-default argument follows default argument");
    }
    stmt.params.push_back(std::move(param));
  }
  return expect_op(")");
}

base::Result<StmtPtr> Parser::parse_macro(StmtPtr stmt) {
  next();
  stmt->kind = StmtKind::kMacro;
  FOVEA_ASSIGN_OR_RETURN(stmt->name, expect_any_name());
  FOVEA_RETURN_IF_ERROR(parse_signature(*stmt));
  int saved_loop_depth = loop_depth_;
  loop_depth_ = 0;
  auto body = parse_body({"endmacro"}, true);
  loop_depth_ = saved_loop_depth;
  if (!body.ok()) return body.status();
  stmt->body = std::move(body).value();
  mark_special_names(*stmt);
  return stmt;
}

base::Result<StmtPtr> Parser::parse_call_block(StmtPtr stmt) {
  next();
  stmt->kind = StmtKind::kCallBlock;
  stmt->name = "caller";
  if (is_op("(")) FOVEA_RETURN_IF_ERROR(parse_signature(*stmt));
  FOVEA_ASSIGN_OR_RETURN(stmt->expr, parse_expression(true));
  if (stmt->expr->kind != ExprKind::kCall) return fail("expected call");
  int saved_loop_depth = loop_depth_;
  loop_depth_ = 0;
  auto body = parse_body({"endcall"}, true);
  loop_depth_ = saved_loop_depth;
  if (!body.ok()) return body.status();
  stmt->body = std::move(body).value();
  mark_special_names(*stmt);
  return stmt;
}

base::Result<StmtPtr> Parser::parse_with(StmtPtr stmt) {
  next();
  stmt->kind = StmtKind::kWith;
  while (cur().kind != TokenKind::kBlockEnd) {
    if (!stmt->assignments.empty()) FOVEA_RETURN_IF_ERROR(expect_op(","));
    FOVEA_ASSIGN_OR_RETURN(ExprPtr target, parse_assign_target({}, false));
    FOVEA_RETURN_IF_ERROR(expect_op("="));
    FOVEA_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
    stmt->assignments.emplace_back(std::move(target), std::move(value));
  }
  FOVEA_ASSIGN_OR_RETURN(stmt->body, parse_body({"endwith"}, true));
  return stmt;
}

// Macros accept extra positional/keyword arguments and a caller only when their body names
// varargs/kwargs/caller, as jinja2 decides from the body.
void Parser::mark_special_names(Stmt& stmt) {
  auto visit_expr = [&](auto&& self, const Expr* expr) -> void {
    if (expr == nullptr) return;
    if (expr->kind == ExprKind::kName) {
      stmt.uses_varargs |= expr->name == "varargs";
      stmt.uses_kwargs |= expr->name == "kwargs";
      stmt.uses_caller |= expr->name == "caller";
    }
    for (const auto& child : expr->children) self(self, child.get());
    for (const auto& arg : expr->args.positional) self(self, arg.get());
    for (const auto& keyword : expr->args.keywords) self(self, keyword.value.get());
    self(self, expr->args.star_args.get());
    self(self, expr->args.star_kwargs.get());
  };
  auto visit_body = [&](auto&& self, const StmtList& body) -> void {
    for (const auto& child : body) {
      visit_expr(visit_expr, child->expr.get());
      visit_expr(visit_expr, child->condition.get());
      visit_expr(visit_expr, child->filter.get());
      for (const auto& branch : child->branches) {
        visit_expr(visit_expr, branch.test.get());
        self(self, branch.body);
      }
      for (const auto& param : child->params) visit_expr(visit_expr, param.default_value.get());
      for (const auto& [target, value] : child->assignments) visit_expr(visit_expr, value.get());
      self(self, child->body);
      self(self, child->else_body);
    }
  };
  visit_body(visit_body, stmt.body);
}

base::Result<StmtList> parse_template(const std::vector<Token>& tokens, uint32_t max_nesting_depth) {
  if (tokens.empty()) return StmtList{};
  Parser parser(tokens, max_nesting_depth);
  return parser.parse_all();
}

}  // namespace fovea::text::jinja
