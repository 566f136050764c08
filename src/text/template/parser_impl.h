// The parser's class, shared by parser.cpp (statements) and parser_expressions.cpp (expressions): a
// recursive-descent parser mirroring jinja2/parser.py, with depth limits. Private to the engine; parser.h is the
// interface. Must not contain evaluation.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/template/ast.h"
#include "text/template/lexer.h"

namespace fovea::text::jinja {

// How jinja2 names a token in error messages ("end of print statement", "integer", or the token's text).
std::string describe_token(const Token& token);

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, uint32_t max_depth) : tokens_(tokens), max_depth_(max_depth) {}

  base::Result<StmtList> parse_all() {
    FOVEA_ASSIGN_OR_RETURN(StmtList body, subparse({}));
    if (cur().kind != TokenKind::kEof) return fail("unexpected '" + describe_token(cur()) + "'");
    return body;
  }

 private:
  // Counts nesting on entry to the recursive productions; fails past the limit.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& parser) : parser_(parser) { ++parser_.depth_; }
    ~DepthGuard() { --parser_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool too_deep() const { return parser_.depth_ > parser_.max_depth_; }

   private:
    Parser& parser_;
  };

  const Token& cur() const { return tokens_[pos_]; }
  const Token& peek() const { return tokens_[std::min(pos_ + 1, tokens_.size() - 1)]; }
  void next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return cur().kind == TokenKind::kOperator && cur().text == op; }
  bool is_name(std::string_view name) const { return cur().kind == TokenKind::kName && cur().text == name; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  base::Status fail(const std::string& message) const {
    return base::invalid_argument("syntax error at line {}: {}", cur().line, message);
  }
  base::Status too_deep() const {
    return base::out_of_range(
        "syntax error at line {}: the template nests expressions or blocks more than {} "
        "levels deep",
        cur().line, max_depth_);
  }
  base::Status expect_op(std::string_view op) {
    if (!skip_op(op)) return fail("expected token '" + std::string(op) + "', got '" + describe_token(cur()) + "'");
    return base::Status();
  }
  base::Status expect_name(std::string_view name) {
    if (!skip_name(name))
      return fail("expected token '" + std::string(name) + "', got '" + describe_token(cur()) + "'");
    return base::Status();
  }
  base::Result<std::string> expect_any_name() {
    if (cur().kind != TokenKind::kName) return fail("expected token 'name', got '" + describe_token(cur()) + "'");
    std::string name = cur().text;
    next();
    return name;
  }
  base::Status expect_kind(TokenKind kind) {
    if (cur().kind != kind) {
      Token wanted;
      wanted.kind = kind;
      return fail("expected token '" + describe_token(wanted) + "', got '" + describe_token(cur()) + "'");
    }
    next();
    return base::Status();
  }

  ExprPtr make(ExprKind kind, int line) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->line = line;
    return expr;
  }

  // Sets the subtree height from the children; fails when it passes the limit.
  base::Result<ExprPtr> finish(ExprPtr expr) {
    uint32_t depth = 0;
    auto visit = [&](const ExprPtr& child) {
      if (child) depth = std::max(depth, child->depth);
    };
    for (const auto& child : expr->children) visit(child);
    for (const auto& arg : expr->args.positional) visit(arg);
    for (const auto& keyword : expr->args.keywords) visit(keyword.value);
    visit(expr->args.star_args);
    visit(expr->args.star_kwargs);
    expr->depth = depth + 1;
    if (expr->depth > max_depth_) return too_deep();
    return expr;
  }

  // ---- statements (parser.cpp) ----
  // Parses until one of `end_tags` follows a `{%`; leaves the position on that tag name.
  base::Result<StmtList> subparse(std::initializer_list<std::string_view> end_tags);
  // `:`? `%}` body; consumes the end tag name when drop_needle.
  base::Result<StmtList> parse_body(std::initializer_list<std::string_view> end_tags, bool drop_needle);
  base::Result<StmtPtr> parse_statement();
  base::Result<StmtPtr> parse_tag(const std::string& tag);
  base::Result<StmtPtr> parse_for(StmtPtr stmt);
  base::Result<StmtPtr> parse_if(StmtPtr stmt);
  base::Result<StmtPtr> parse_set(StmtPtr stmt);
  base::Status parse_signature(Stmt& stmt);
  base::Result<StmtPtr> parse_macro(StmtPtr stmt);
  base::Result<StmtPtr> parse_call_block(StmtPtr stmt);
  base::Result<StmtPtr> parse_with(StmtPtr stmt);
  // Macros accept extra positional/keyword arguments and a caller only when their body names
  // varargs/kwargs/caller, as jinja2 decides from the body.
  static void mark_special_names(Stmt& stmt);

  // ---- expressions (parser_expressions.cpp) ----
  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const;
  base::Result<ExprPtr> parse_tuple(bool simplified, bool with_condexpr,
                                    std::initializer_list<std::string_view> extra_end, bool explicit_parentheses,
                                    bool with_namespace);
  base::Result<ExprPtr> parse_assign_target(std::initializer_list<std::string_view> extra_end, bool with_namespace);
  base::Result<ExprPtr> parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }

  base::Result<ExprPtr> parse_condexpr();
  base::Result<ExprPtr> binary_node(ExprKind kind, ExprPtr left, ExprPtr right, int line);
  base::Result<ExprPtr> parse_or();
  base::Result<ExprPtr> parse_and();
  base::Result<ExprPtr> parse_not();
  base::Result<ExprPtr> parse_compare();
  base::Result<ExprPtr> parse_math1();
  base::Result<ExprPtr> parse_concat();
  base::Result<ExprPtr> parse_math2();
  base::Result<ExprPtr> parse_pow();
  base::Result<ExprPtr> parse_unary(bool with_filter);
  base::Result<ExprPtr> parse_primary(bool with_namespace);
  base::Result<ExprPtr> parse_postfix(ExprPtr node);
  base::Result<ExprPtr> parse_filter_expr(ExprPtr node);
  base::Result<ExprPtr> parse_subscript(ExprPtr node);
  base::Result<ExprPtr> parse_subscribed();
  base::Status parse_call_args(ArgList& args);
  base::Result<ExprPtr> parse_call(ExprPtr node);
  base::Result<std::string> parse_dotted_name();
  base::Result<ExprPtr> parse_filter(ExprPtr node, bool start_inline);
  base::Result<ExprPtr> parse_test(ExprPtr node);
  const std::vector<Token>& tokens_;
  uint32_t max_depth_;
  size_t pos_ = 0;
  uint32_t depth_ = 0;
  int loop_depth_ = 0;
  std::vector<std::string> tag_stack_;
};

}  // namespace fovea::text::jinja
