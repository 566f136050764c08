// The callable and special objects templates hold: macros (and call-block callers), loop objects with their
// cycle()/changed() helpers, methods bound to a str/dict/list, and builtin functions such as range().
// Must not contain the methods' or builtins' behaviour (methods.h, builtins.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/template/ast.h"
#include "text/template/evaluator.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

class MacroObject : public Object {
 public:
  MacroObject(const Stmt& stmt, std::shared_ptr<Scope> closure) : stmt_(stmt), closure_(std::move(closure)) {}
  std::string type_name() const override { return "Macro"; }
  std::string repr() const override { return "<Macro '" + stmt_.name + "'>"; }
  Value attribute(std::string_view name) override;
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& evaluator, CallArgs args) override {
    return evaluator.call_macro(*this, std::move(args));
  }

  const Stmt& stmt() const { return stmt_; }
  const std::shared_ptr<Scope>& closure() const { return closure_; }
  // Drops the defining scope at the end of a render, which breaks the scope -> macro -> scope cycle.
  void release() { closure_.reset(); }

 private:
  const Stmt& stmt_;
  std::shared_ptr<Scope> closure_;
};

// jinja2's LoopContext for one running for loop.
class LoopObject : public Object {
 public:
  LoopObject(std::shared_ptr<const std::vector<Value>> items, uint32_t depth0, const Stmt& stmt,
             std::weak_ptr<Scope> scope)
      : items_(std::move(items)), depth0_(depth0), stmt_(stmt), scope_(std::move(scope)) {}
  std::string type_name() const override { return "LoopContext"; }
  std::string repr() const override;
  Value attribute(std::string_view name) override;
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& evaluator, CallArgs args) override;

  void set_index(size_t index0) { index0_ = index0; }
  uint32_t depth0() const { return depth0_; }
  const Stmt& stmt() const { return stmt_; }
  std::shared_ptr<Scope> scope() const { return scope_.lock(); }
  // loop.changed(value): true when value differs from the last call's.
  bool changed(const Value& value);
  size_t index0() const { return index0_; }
  size_t length() const { return items_->size(); }

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  size_t index0_ = 0;
  uint32_t depth0_;
  const Stmt& stmt_;
  std::weak_ptr<Scope> scope_;
  bool has_last_changed_ = false;
  Value last_changed_;
};

// A str, dict or list method looked up on a value (`text.split`, `message.get`).
class BoundMethod : public Object {
 public:
  BoundMethod(Value receiver, std::string name) : receiver_(std::move(receiver)), name_(std::move(name)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  std::string repr() const override;
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& evaluator, CallArgs args) override;

 private:
  Value receiver_;
  std::string name_;
};

using BuiltinFn = base::Result<Value> (*)(Evaluator& evaluator, CallArgs& args);

// A global function (range, dict, namespace, raise_exception, strftime_now, ...).
class BuiltinFunction : public Object {
 public:
  BuiltinFunction(std::string name, BuiltinFn fn) : name_(std::move(name)), fn_(fn) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  std::string repr() const override { return "<built-in function " + name_ + ">"; }
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& evaluator, CallArgs args) override { return fn_(evaluator, args); }

 private:
  std::string name_;
  BuiltinFn fn_;
};

}  // namespace fovea::text::jinja
