// Template parsing (lex, parse, name checks) and rendering.
#include "text/template/template.h"

#include <ctime>

#include "text/template/filters.h"
#include "text/template/lexer.h"
#include "text/template/parser.h"
#include "text/template/predicates.h"
#include "text/template/unicode_text.h"

namespace fovea::text::jinja {
namespace {

// jinja2 refuses at compile time a template that uses a filter or test it does not know.
base::Status check_names(const Expr* expr) {
  if (expr == nullptr) return base::Status();
  if (expr->kind == ExprKind::kFilter && find_filter(expr->name) == nullptr) {
    if (is_unsupported_filter(expr->name)) {
      return base::unsupported("line {}: the '{}' filter is not supported in fovea's chat templates", expr->line,
                               expr->name);
    }
    return base::invalid_argument("line {}: No filter named '{}'.", expr->line, expr->name);
  }
  if (expr->kind == ExprKind::kTest && find_test(expr->name) == nullptr) {
    return base::invalid_argument("line {}: No test named '{}'.", expr->line, expr->name);
  }
  for (const ExprPtr& child : expr->children) FOVEA_RETURN_IF_ERROR(check_names(child.get()));
  for (const ExprPtr& arg : expr->args.positional) FOVEA_RETURN_IF_ERROR(check_names(arg.get()));
  for (const Keyword& keyword : expr->args.keywords) FOVEA_RETURN_IF_ERROR(check_names(keyword.value.get()));
  FOVEA_RETURN_IF_ERROR(check_names(expr->args.star_args.get()));
  return check_names(expr->args.star_kwargs.get());
}

base::Status check_names(const StmtList& body) {
  for (const StmtPtr& stmt : body) {
    for (const Expr* expr : {stmt->expr.get(), stmt->target.get(), stmt->condition.get(), stmt->filter.get()}) {
      FOVEA_RETURN_IF_ERROR(check_names(expr));
    }
    for (const IfBranch& branch : stmt->branches) {
      FOVEA_RETURN_IF_ERROR(check_names(branch.test.get()));
      FOVEA_RETURN_IF_ERROR(check_names(branch.body));
    }
    for (const MacroParam& param : stmt->params) FOVEA_RETURN_IF_ERROR(check_names(param.default_value.get()));
    for (const auto& [target, value] : stmt->assignments) FOVEA_RETURN_IF_ERROR(check_names(value.get()));
    FOVEA_RETURN_IF_ERROR(check_names(stmt->body));
    FOVEA_RETURN_IF_ERROR(check_names(stmt->else_body));
  }
  return base::Status();
}

}  // namespace

std::tm local_time_now() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return local;
}

base::Result<Template> Template::parse(std::string_view source, TemplateOptions options) {
  if (!is_valid_utf8(source)) return base::invalid_argument("the template is not valid UTF-8");
  FOVEA_ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenize(source));
  FOVEA_ASSIGN_OR_RETURN(StmtList body, parse_template(tokens, options.limits.max_nesting_depth));
  FOVEA_RETURN_IF_ERROR(check_names(body));
  if (!options.clock) options.clock = local_time_now;
  return Template(std::make_shared<const StmtList>(std::move(body)), std::move(options));
}

base::Result<std::string> Template::render(std::vector<std::pair<std::string, Value>> variables) const {
  Evaluator evaluator(options_.limits, options_.clock);
  return evaluator.render(*body_, std::move(variables));
}

}  // namespace fovea::text::jinja
