// Content-format detection over the template engine's syntax tree (vLLM's rule, re-expressed on fovea's AST).
// Must not contain request parsing or template rendering.
#include "serve/chat_content_format.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "text/template/ast.h"
#include "text/template/lexer.h"
#include "text/template/limits.h"
#include "text/template/parser.h"

namespace fovea::serve {
namespace {

using text::jinja::Expr;
using text::jinja::ExprKind;
using text::jinja::Stmt;
using text::jinja::StmtKind;
using text::jinja::StmtList;

bool is_name(const Expr* node, std::string_view varname) {
  return node != nullptr && node->kind == ExprKind::kName && node->name == varname;
}

// `varname.key` or `varname['key']`.
bool is_key_access(const Expr& node, std::string_view varname, std::string_view key) {
  if (node.children.empty()) return false;
  if (node.kind == ExprKind::kGetattr) return is_name(node.children[0].get(), varname) && node.name == key;
  if (node.kind == ExprKind::kGetitem && node.children.size() == 2) {
    const Expr* index = node.children[1].get();
    return is_name(node.children[0].get(), varname) && index != nullptr && index->kind == ExprKind::kConst &&
           index->constant.is_string() && index->constant.as_string() == key;
  }
  return false;
}

// The variable (or its `key` item) possibly behind filters, tests and slices: `messages|reverse`,
// `messages[1:]`, `message.content|list`.
bool is_var_or_elems_access(const Expr* node, std::string_view varname, std::string_view key) {
  if (node == nullptr) return false;
  const bool wraps_first_child = node->kind == ExprKind::kFilter || node->kind == ExprKind::kTest ||
                                 (node->kind == ExprKind::kGetitem && node->children.size() == 2 &&
                                  node->children[1] != nullptr && node->children[1]->kind == ExprKind::kSlice);
  if (wraps_first_child) {
    return !node->children.empty() && is_var_or_elems_access(node->children[0].get(), varname, key);
  }
  return key.empty() ? is_name(node, varname) : is_key_access(*node, varname, key);
}

// Every statement of the template, nested ones included (jinja2's find_all over statements).
void collect_statements(const StmtList& list, std::vector<const Stmt*>& out) {
  for (const auto& stmt : list) {
    if (stmt == nullptr) continue;
    out.push_back(stmt.get());
    collect_statements(stmt->body, out);
    collect_statements(stmt->else_body, out);
    for (const auto& branch : stmt->branches) collect_statements(branch.body, out);
  }
}

std::vector<std::string> names_bound_to_messages(const std::vector<const Stmt*>& statements) {
  std::vector<std::string> names = {"messages"};
  std::deque<std::string> pending = {"messages"};
  while (!pending.empty()) {
    const std::string related = pending.front();
    pending.pop_front();
    for (const Stmt* stmt : statements) {
      if (stmt->kind != StmtKind::kSet || stmt->target == nullptr || stmt->target->kind != ExprKind::kName) continue;
      if (!is_var_or_elems_access(stmt->expr.get(), related, "")) continue;
      const std::string& assigned = stmt->target->name;
      if (std::find(names.begin(), names.end(), assigned) != names.end()) continue;
      names.push_back(assigned);
      pending.push_back(assigned);
    }
  }
  return names;
}

bool loops_over_content(const std::vector<const Stmt*>& statements) {
  const std::vector<std::string> messages_names = names_bound_to_messages(statements);
  std::vector<std::string> message_names;
  for (const Stmt* stmt : statements) {
    if (stmt->kind != StmtKind::kFor || stmt->target == nullptr || stmt->target->kind != ExprKind::kName) continue;
    for (const std::string& name : messages_names) {
      if (is_var_or_elems_access(stmt->expr.get(), name, "")) {
        message_names.push_back(stmt->target->name);
        break;
      }
    }
  }
  for (const Stmt* stmt : statements) {
    if (stmt->kind != StmtKind::kFor) continue;
    if (is_name(stmt->expr.get(), "content")) return true;
    for (const std::string& name : message_names) {
      if (is_var_or_elems_access(stmt->expr.get(), name, "content")) return true;
    }
  }
  return false;
}

}  // namespace

ChatTemplateContentFormat detect_chat_template_content_format(std::string_view template_source) {
  base::Result<std::vector<text::jinja::Token>> tokens = text::jinja::tokenize(template_source);
  if (!tokens.ok()) return ChatTemplateContentFormat::kString;
  base::Result<StmtList> body = text::jinja::parse_template(*tokens, text::jinja::TemplateLimits{}.max_nesting_depth);
  if (!body.ok()) return ChatTemplateContentFormat::kString;
  std::vector<const Stmt*> statements;
  collect_statements(*body, statements);
  return loops_over_content(statements) ? ChatTemplateContentFormat::kOpenai : ChatTemplateContentFormat::kString;
}

ChatTemplateContentFormat resolve_chat_template_content_format(ChatTemplateContentFormat given,
                                                               std::optional<std::string_view> template_source) {
  if (given != ChatTemplateContentFormat::kAuto) return given;
  if (!template_source) return ChatTemplateContentFormat::kString;
  return detect_chat_template_content_format(*template_source);
}

}  // namespace fovea::serve
