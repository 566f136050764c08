// Statement execution, scopes, macros, loops and the budget checks of the evaluator. Expressions are in
// evaluator_expr.cpp.
#include "text/template/evaluator.h"

#include "text/template/builtins.h"
#include "text/template/callables.h"
#include "text/template/filters.h"
#include "text/template/predicates.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

// Makes `scope` current for the guard's lifetime.
class ScopeGuard {
 public:
  ScopeGuard(std::shared_ptr<Scope>& current, std::shared_ptr<Scope> scope)
      : current_(current), saved_(std::move(current)) {
    current_ = std::move(scope);
  }
  ~ScopeGuard() { current_ = std::move(saved_); }
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 private:
  std::shared_ptr<Scope>& current_;
  std::shared_ptr<Scope> saved_;
};

std::shared_ptr<Scope> child_of(std::shared_ptr<Scope> parent) {
  auto scope = std::make_shared<Scope>();
  scope->parent = std::move(parent);
  return scope;
}

}  // namespace

const Value* Scope::find_local(std::string_view name) const {
  for (const auto& [var, value] : vars) {
    if (var == name) return &value;
  }
  return nullptr;
}

void Scope::set(std::string_view name, Value value) {
  for (auto& [var, existing] : vars) {
    if (var == name) {
      existing = std::move(value);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(value));
}

Evaluator::Evaluator(const TemplateLimits& limits, Clock clock) : limits_(limits), clock_(std::move(clock)) {}

Evaluator::~Evaluator() {
  // Scopes own macros and macros own their defining scope; namespaces can hold anything. Break the cycles.
  for (auto& macro : macros_) macro->release();
  for (auto& ns : namespaces_) ns->clear();
}

base::Result<std::string> Evaluator::render(const StmtList& body,
                                            std::vector<std::pair<std::string, Value>> variables) {
  auto globals = std::make_shared<Scope>();
  for (auto& [name, value] : make_globals()) globals->set(name, std::move(value));
  for (auto& [name, value] : variables) globals->set(name, std::move(value));
  scope_ = child_of(std::move(globals));
  std::string output;
  out_ = &output;
  out_limit_bytes_ = limits_.max_output_bytes;
  allocation_baseline_ = allocation_counter();
  auto flow = exec_body(body);
  scope_.reset();
  out_ = nullptr;
  if (!flow.ok()) {
    const base::Status& status = flow.status();
    if (error_line_ > 0) return base::Status(status.code(), fmt::format("line {}: {}", error_line_, status.message()));
    return status;
  }
  return output;
}

base::Status Evaluator::charge_steps(uint64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    return base::out_of_range("the template needed more than {} evaluation steps; it loops too long for this input",
                              limits_.max_steps);
  }
  uint64_t allocated = allocation_counter() - allocation_baseline_;
  if (allocated > limits_.max_allocated_bytes) {
    return base::make_error(base::StatusCode::kResourceExhausted,
                            "the template built more than {} bytes of strings and lists while rendering",
                            limits_.max_allocated_bytes);
  }
  return base::Status();
}

base::Status Evaluator::check_value(const Value& value) const {
  switch (value.kind()) {
    case ValueKind::kString:
      if (value.as_string().size() > limits_.max_string_bytes) {
        return base::out_of_range("the template built a string of {} bytes, more than the limit of {}",
                                  value.as_string().size(), limits_.max_string_bytes);
      }
      break;
    case ValueKind::kSequence:
      if (value.as_sequence().items.size() > limits_.max_items) {
        return base::out_of_range("the template built a list of {} items, more than the limit of {}",
                                  value.as_sequence().items.size(), limits_.max_items);
      }
      break;
    case ValueKind::kDict:
      if (value.as_dict().size() > limits_.max_items) {
        return base::out_of_range("the template built a dict of {} items, more than the limit of {}",
                                  value.as_dict().size(), limits_.max_items);
      }
      break;
    default:
      return base::Status();
  }
  if (value.depth() > limits_.max_nesting_depth) {
    return base::out_of_range("the template built lists or dicts nested more than {} levels deep",
                              limits_.max_nesting_depth);
  }
  return base::Status();
}

uint64_t Evaluator::walk_cost(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kString:
      return value.as_string().size() / 64;
    case ValueKind::kSequence:
      return value.as_sequence().items.size();
    case ValueKind::kDict:
      return value.as_dict().size();
    default:
      return 0;
  }
}

base::Result<std::string> Evaluator::to_str(const Value& value) {
  std::string out;
  FOVEA_RETURN_IF_ERROR(append_str(out, value, limits_.max_string_bytes));
  return out;
}

Value Evaluator::new_namespace() {
  count_allocation(sizeof(Namespace) + sizeof(void*));
  namespaces_.push_back(std::make_unique<Namespace>());
  return Value::namespace_ref(namespaces_.back().get());
}

base::Result<Value> Evaluator::apply_filter(std::string_view name, const Value& input, CallArgs args) {
  FilterFn filter = find_filter(name);
  if (filter == nullptr) return base::invalid_argument("No filter named '{}'.", name);
  FOVEA_RETURN_IF_ERROR(charge_steps(1 + walk_cost(input)));
  return filter(*this, input, args);
}

base::Result<bool> Evaluator::apply_test(std::string_view name, const Value& input, CallArgs args) {
  TestFn test = find_test(name);
  if (test == nullptr) return base::invalid_argument("No test named '{}'.", name);
  FOVEA_RETURN_IF_ERROR(charge_steps(1));
  return test(*this, input, args);
}

base::Result<Value> Evaluator::call_value(const Value& callee, CallArgs args) {
  FOVEA_RETURN_IF_ERROR(charge_steps(1 + args.positional.size() + args.keywords.size()));
  if (callee.is_undefined()) return base::invalid_argument("{}", undefined_message(callee));
  if (callee.is_object() && callee.as_object().callable()) {
    std::shared_ptr<Object> object = callee.object_ptr();
    return object->call(*this, std::move(args));
  }
  return base::invalid_argument("'{}' object is not callable", python_type_name(callee));
}

base::Status Evaluator::write(std::string_view text) {
  out_->append(text);
  if (out_->size() > out_limit_bytes_) {
    return base::out_of_range("the rendered text is larger than the {} byte limit", out_limit_bytes_);
  }
  return base::Status();
}

base::Status Evaluator::write_value(const Value& value) {
  if (value.is_string()) return write(value.as_string());
  FOVEA_RETURN_IF_ERROR(append_str(*out_, value, out_limit_bytes_));
  return write("");
}

base::Result<std::string> Evaluator::capture(const StmtList& body, std::shared_ptr<Scope> scope, Flow* flow_out) {
  std::string captured;
  std::string* saved_out = out_;
  uint64_t saved_limit = out_limit_bytes_;
  out_ = &captured;
  out_limit_bytes_ = limits_.max_string_bytes;
  base::Result<Flow> flow = base::Status();
  {
    ScopeGuard guard(scope_, std::move(scope));
    flow = exec_body(body);
  }
  out_ = saved_out;
  out_limit_bytes_ = saved_limit;
  if (!flow.ok()) return flow.status();
  if (flow_out != nullptr) *flow_out = *flow;
  return captured;
}

base::Result<Evaluator::Flow> Evaluator::exec_body(const StmtList& body) {
  for (const StmtPtr& stmt : body) {
    auto flow = exec(*stmt);
    if (!flow.ok()) {
      if (error_line_ == 0) error_line_ = stmt->line;
      return flow.status();
    }
    if (*flow != Flow::kNormal) return *flow;
  }
  return Flow::kNormal;
}

base::Result<Evaluator::Flow> Evaluator::exec(const Stmt& stmt) {
  FOVEA_RETURN_IF_ERROR(charge_steps(1));
  switch (stmt.kind) {
    case StmtKind::kText:
      FOVEA_RETURN_IF_ERROR(write(stmt.text));
      return Flow::kNormal;
    case StmtKind::kOutput: {
      FOVEA_ASSIGN_OR_RETURN(Value value, eval(*stmt.expr));
      FOVEA_RETURN_IF_ERROR(write_value(value));
      return Flow::kNormal;
    }
    case StmtKind::kIf:
      for (const IfBranch& branch : stmt.branches) {
        FOVEA_ASSIGN_OR_RETURN(Value test, eval(*branch.test));
        if (truthy(test)) return exec_body(branch.body);
      }
      return exec_body(stmt.else_body);
    case StmtKind::kFor:
      return exec_for(stmt);
    case StmtKind::kSet: {
      FOVEA_ASSIGN_OR_RETURN(Value value, eval(*stmt.expr));
      FOVEA_RETURN_IF_ERROR(assign(*stmt.target, value));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock:
      return exec_set_block(stmt);
    case StmtKind::kMacro:
      scope_->set(stmt.name, Value::object(make_macro(stmt)));
      return Flow::kNormal;
    case StmtKind::kCallBlock:
      return exec_call_block(stmt);
    case StmtKind::kFilterBlock: {
      Flow flow = Flow::kNormal;
      FOVEA_ASSIGN_OR_RETURN(std::string body, capture(stmt.body, child_of(scope_), &flow));
      // As in jinja2, a break/continue inside the block leaves the loop before the filtered text is written.
      if (flow != Flow::kNormal) return flow;
      Value captured = Value::string(std::move(body));
      const Value* saved = placeholder_;
      placeholder_ = &captured;
      auto filtered = eval(*stmt.filter);
      placeholder_ = saved;
      if (!filtered.ok()) return filtered.status();
      FOVEA_RETURN_IF_ERROR(write_value(*filtered));
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      auto scope = child_of(scope_);
      std::vector<Value> values;
      for (const auto& [target, value_expr] : stmt.assignments) {
        FOVEA_ASSIGN_OR_RETURN(Value value, eval(*value_expr));
        values.push_back(std::move(value));
      }
      ScopeGuard guard(scope_, std::move(scope));
      for (size_t idx = 0; idx < values.size(); ++idx) {
        FOVEA_RETURN_IF_ERROR(assign(*stmt.assignments[idx].first, values[idx]));
      }
      return exec_body(stmt.body);
    }
    case StmtKind::kScope: {
      ScopeGuard guard(scope_, child_of(scope_));
      return exec_body(stmt.body);
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

base::Status Evaluator::assign(const Expr& target, const Value& value) {
  switch (target.kind) {
    case ExprKind::kName:
      scope_->set(target.name, value);
      return base::Status();
    case ExprKind::kNsRef: {
      Value ns = lookup(target.name);
      if (!ns.is_namespace()) return base::invalid_argument("cannot assign attribute on non-namespace object");
      FOVEA_RETURN_IF_ERROR(check_namespace_attribute(target.attr));
      ns.as_namespace().set(target.attr, value);
      return base::Status();
    }
    case ExprKind::kTuple: {
      FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(value));
      size_t expected = target.children.size();
      if (items.size() < expected) {
        return base::invalid_argument("not enough values to unpack (expected {}, got {})", expected, items.size());
      }
      if (items.size() > expected) return base::invalid_argument("too many values to unpack (expected {})", expected);
      for (size_t idx = 0; idx < expected; ++idx) FOVEA_RETURN_IF_ERROR(assign(*target.children[idx], items[idx]));
      return base::Status();
    }
    default:
      return base::invalid_argument("cannot assign to this expression");
  }
}

base::Result<Evaluator::Flow> Evaluator::exec_set_block(const Stmt& stmt) {
  Flow flow = Flow::kNormal;
  FOVEA_ASSIGN_OR_RETURN(std::string body, capture(stmt.body, child_of(scope_), &flow));
  if (flow != Flow::kNormal) return flow;
  Value value = Value::string(std::move(body));
  if (stmt.filter) {
    const Value* saved = placeholder_;
    placeholder_ = &value;
    auto filtered = eval(*stmt.filter);
    placeholder_ = saved;
    if (!filtered.ok()) return filtered.status();
    value = *filtered;
  }
  FOVEA_RETURN_IF_ERROR(assign(*stmt.target, value));
  return Flow::kNormal;
}

std::shared_ptr<MacroObject> Evaluator::make_macro(const Stmt& stmt) {
  auto macro = std::make_shared<MacroObject>(stmt, scope_);
  count_allocation(sizeof(MacroObject) + sizeof(void*));
  macros_.push_back(macro);
  return macro;
}

base::Result<std::vector<Value>> Evaluator::loop_items(const Stmt& stmt, const Value& iterable) {
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(iterable));
  FOVEA_RETURN_IF_ERROR(charge_steps(items.size()));
  if (!stmt.condition) return items;
  std::vector<Value> kept;
  for (const Value& item : items) {
    ScopeGuard guard(scope_, child_of(scope_));
    FOVEA_RETURN_IF_ERROR(assign(*stmt.target, item));
    FOVEA_ASSIGN_OR_RETURN(Value keep, eval(*stmt.condition));
    if (truthy(keep)) kept.push_back(item);
  }
  return kept;
}

base::Result<Evaluator::Flow> Evaluator::exec_for(const Stmt& stmt) {
  FOVEA_ASSIGN_OR_RETURN(Value iterable, eval(*stmt.expr));
  FOVEA_ASSIGN_OR_RETURN(std::vector<Value> items, loop_items(stmt, iterable));
  return run_loop(stmt, std::move(items), 0);
}

base::Result<Evaluator::Flow> Evaluator::run_loop(const Stmt& stmt, std::vector<Value> items, uint32_t depth0) {
  auto shared_items = std::make_shared<const std::vector<Value>>(std::move(items));
  std::shared_ptr<Scope> outer = scope_;
  auto loop = std::make_shared<LoopObject>(shared_items, depth0, stmt, outer);
  Value loop_value = Value::object(loop);
  for (size_t idx = 0; idx < shared_items->size(); ++idx) {
    FOVEA_RETURN_IF_ERROR(charge_steps(1));
    loop->set_index(idx);
    ScopeGuard guard(scope_, child_of(outer));
    FOVEA_RETURN_IF_ERROR(assign(*stmt.target, (*shared_items)[idx]));
    scope_->set("loop", loop_value);
    FOVEA_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.body));
    if (flow == Flow::kBreak) break;
  }
  if (shared_items->empty() && !stmt.else_body.empty()) {
    ScopeGuard guard(scope_, child_of(outer));
    FOVEA_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.else_body));
    return flow;
  }
  return Flow::kNormal;
}

base::Result<Value> Evaluator::call_recursive_loop(const LoopObject& loop, const Value& iterable) {
  std::shared_ptr<Scope> outer = loop.scope();
  if (!outer) return base::invalid_argument("loop() was called after its loop ended");
  if (call_depth_ >= limits_.max_call_depth) {
    return base::out_of_range("recursive loops nest more than {} levels deep", limits_.max_call_depth);
  }
  std::string captured;
  std::string* saved_out = out_;
  uint64_t saved_limit = out_limit_bytes_;
  out_ = &captured;
  out_limit_bytes_ = limits_.max_string_bytes;
  ++call_depth_;
  base::Result<Flow> flow = base::Status();
  {
    ScopeGuard guard(scope_, outer);
    auto items = loop_items(loop.stmt(), iterable);
    flow = items.ok() ? run_loop(loop.stmt(), std::move(items).value(), loop.depth0() + 1) : items.status();
  }
  --call_depth_;
  out_ = saved_out;
  out_limit_bytes_ = saved_limit;
  if (!flow.ok()) return flow.status();
  return Value::string(std::move(captured));
}

base::Result<Evaluator::Flow> Evaluator::exec_call_block(const Stmt& stmt) {
  Value caller = Value::object(make_macro(stmt));
  const Expr& call = *stmt.expr;
  FOVEA_ASSIGN_OR_RETURN(Value callee, eval(*call.children[0]));
  FOVEA_ASSIGN_OR_RETURN(CallArgs args, eval_args(call.args));
  args.keywords.emplace_back("caller", std::move(caller));
  FOVEA_ASSIGN_OR_RETURN(Value result, call_value(callee, std::move(args)));
  FOVEA_RETURN_IF_ERROR(write_value(result));
  return Flow::kNormal;
}

base::Result<Value> Evaluator::call_macro(const MacroObject& macro, CallArgs args) {
  const Stmt& stmt = macro.stmt();
  if (!macro.closure()) return base::invalid_argument("macro '{}' was called after rendering ended", stmt.name);
  if (call_depth_ >= limits_.max_call_depth) {
    return base::out_of_range("macro calls nest more than {} levels deep (does macro '{}' recurse without end?)",
                              limits_.max_call_depth, stmt.name);
  }
  auto scope = child_of(macro.closure());
  size_t num_params = stmt.params.size();
  size_t num_positional = std::min(num_params, args.positional.size());
  std::vector<bool> bound(num_params, false);
  for (size_t idx = 0; idx < num_positional; ++idx) {
    scope->set(stmt.params[idx].name, args.positional[idx]);
    bound[idx] = true;
  }
  std::vector<std::pair<std::string, Value>> extra_keywords;
  Value caller;
  bool has_caller = false;
  for (auto& [name, value] : args.keywords) {
    size_t idx = num_positional;
    while (idx < num_params && stmt.params[idx].name != name) ++idx;
    if (idx < num_params && !bound[idx]) {
      scope->set(name, std::move(value));
      bound[idx] = true;
    } else if (name == "caller" && stmt.uses_caller && !has_caller) {
      caller = std::move(value);
      has_caller = true;
    } else {
      extra_keywords.emplace_back(name, std::move(value));
    }
  }
  if (!stmt.uses_kwargs && !extra_keywords.empty()) {
    if (extra_keywords[0].first == "caller") {
      return base::invalid_argument(
          "macro '{}' was invoked with two values for the special caller argument. This "
          "is most likely a bug.",
          stmt.name);
    }
    return base::invalid_argument("macro '{}' takes no keyword argument '{}'", stmt.name, extra_keywords[0].first);
  }
  if (!stmt.uses_varargs && args.positional.size() > num_params) {
    return base::invalid_argument("macro '{}' takes not more than {} argument(s)", stmt.name, num_params);
  }
  ScopeGuard guard(scope_, scope);
  for (size_t idx = 0; idx < num_params; ++idx) {
    if (bound[idx]) continue;
    const MacroParam& param = stmt.params[idx];
    if (param.default_value) {
      FOVEA_ASSIGN_OR_RETURN(Value value, eval(*param.default_value));
      scope->set(param.name, std::move(value));
    } else {
      UndefinedInfo info;
      info.name = param.name;
      info.hint = "parameter '" + param.name + "' was not provided";
      scope->set(param.name, Value::undefined(std::move(info)));
    }
  }
  if (stmt.uses_caller) {
    if (!has_caller) caller = Value::undefined(UndefinedInfo{"caller", "", "No caller defined"});
    scope->set("caller", std::move(caller));
  }
  if (stmt.uses_kwargs) {
    auto kwargs = std::make_shared<Dict>();
    for (auto& [name, value] : extra_keywords)
      FOVEA_RETURN_IF_ERROR(kwargs->set(Value::string(name), std::move(value)));
    scope->set("kwargs", Value::dict(std::move(kwargs)));
  }
  if (stmt.uses_varargs) {
    std::vector<Value> rest;
    if (args.positional.size() > num_params) rest.assign(args.positional.begin() + num_params, args.positional.end());
    scope->set("varargs", Value::tuple(std::move(rest)));
  }
  ++call_depth_;
  auto output = capture(stmt.body, scope);
  --call_depth_;
  if (!output.ok()) return output.status();
  return Value::string(std::move(output).value());
}

}  // namespace fovea::text::jinja
