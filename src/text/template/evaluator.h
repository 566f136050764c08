// Evaluator: renders a parsed template with jinja2's semantics (scoping of for/macro/with, Undefined, loop
// objects, macros and call blocks) under ImmutableSandboxedEnvironment's rules, counting work against limits.
// It is also the service object filters, tests, methods and builtins use to look things up and charge work.
// Must not contain parsing, or the filter/test/method implementations themselves.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "text/template/ast.h"
#include "text/template/limits.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

// Local time for strftime_now(); tests inject a fixed one.
using Clock = std::function<std::tm()>;

// A variable scope: the template's top level, one for-loop iteration, a macro call, a with block.
struct Scope {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* find_local(std::string_view name) const;
  void set(std::string_view name, Value value);
};

class MacroObject;
class LoopObject;

class Evaluator {
 public:
  Evaluator(const TemplateLimits& limits, Clock clock);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Renders `body` with `variables` as the template context (the arguments of jinja2's render()).
  base::Result<std::string> render(const StmtList& body, std::vector<std::pair<std::string, Value>> variables);

  // ---- services for filters, tests, methods and builtins ----
  const TemplateLimits& limits() const { return limits_; }
  std::tm now() const { return clock_(); }
  // Counts work; fails once the step budget is spent.
  base::Status charge_steps(uint64_t steps);
  // Fails when a value passes the size limits for one string, list or dict, or nests too deeply.
  base::Status check_value(const Value& value) const;
  // Steps for walking over a value: one per item or per 64 bytes.
  static uint64_t walk_cost(const Value& value);
  // obj.name and obj[key] with the sandbox's rules (attribute first for `.`, item first for `[]`).
  base::Result<Value> get_attribute(const Value& object, std::string_view name);
  base::Result<Value> get_item(const Value& object, const Value& key);
  base::Result<Value> call_value(const Value& callee, CallArgs args);
  base::Result<Value> apply_filter(std::string_view name, const Value& input, CallArgs args);
  base::Result<bool> apply_test(std::string_view name, const Value& input, CallArgs args);
  // str(value), bounded by the string limit.
  base::Result<std::string> to_str(const Value& value);
  // A new namespace owned by this evaluator.
  Value new_namespace();

  // Called by MacroObject and LoopObject.
  base::Result<Value> call_macro(const MacroObject& macro, CallArgs args);
  base::Result<Value> call_recursive_loop(const LoopObject& loop, const Value& iterable);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  base::Result<Flow> exec_body(const StmtList& body);
  base::Result<Flow> exec(const Stmt& stmt);
  base::Result<Flow> exec_for(const Stmt& stmt);
  // The items a for loop runs over, after its `if` filter.
  base::Result<std::vector<Value>> loop_items(const Stmt& stmt, const Value& iterable);
  base::Result<Flow> run_loop(const Stmt& stmt, std::vector<Value> items, uint32_t depth0);
  base::Result<Flow> exec_call_block(const Stmt& stmt);
  base::Result<Flow> exec_set_block(const Stmt& stmt);
  base::Status assign(const Expr& target, const Value& value);
  base::Status write(std::string_view text);
  base::Status write_value(const Value& value);
  // Runs `body` in `scope`, capturing its output. A break/continue inside (set and filter blocks in a loop) is
  // reported through `flow`; without `flow` there can be none (macro bodies).
  base::Result<std::string> capture(const StmtList& body, std::shared_ptr<Scope> scope, Flow* flow = nullptr);
  std::shared_ptr<MacroObject> make_macro(const Stmt& stmt);

  base::Result<Value> eval(const Expr& expr);
  base::Result<Value> eval_inner(const Expr& expr);
  base::Result<Value> eval_getitem(const Expr& expr);
  base::Result<Value> eval_compare(const Expr& expr);
  base::Result<CallArgs> eval_args(const ArgList& args);
  base::Result<Value> eval_call(const Expr& expr);
  base::Result<Value> eval_collection(const Expr& expr);
  Value lookup(const std::string& name) const;
  // A method bound to `object`, a sandbox refusal, a namespace/object attribute, or Undefined.
  base::Result<Value> method_or_undefined(const Value& object, std::string_view name);

  TemplateLimits limits_;
  Clock clock_;
  std::shared_ptr<Scope> scope_;
  std::string* out_ = nullptr;
  uint64_t out_limit_bytes_ = 0;
  uint64_t steps_ = 0;
  uint64_t allocation_baseline_ = 0;  // allocation_counter() when the render started
  uint32_t call_depth_ = 0;
  int error_line_ = 0;
  const Value* placeholder_ = nullptr;  // body of the filter block being filtered
  std::vector<std::unique_ptr<Namespace>> namespaces_;
  std::vector<std::shared_ptr<MacroObject>> macros_;
};

}  // namespace fovea::text::jinja
