// Macro, loop, bound-method and builtin-function objects.
#include "text/template/callables.h"

#include "text/template/methods.h"
#include "text/template/value_format.h"

namespace fovea::text::jinja {
namespace {

Value undefined_with_hint(std::string hint) {
  UndefinedInfo info;
  info.hint = std::move(hint);
  return Value::undefined(std::move(info));
}

// loop.cycle and loop.changed, bound to their loop.
class LoopMethod : public Object {
 public:
  LoopMethod(std::shared_ptr<LoopObject> loop, std::string name) : loop_(std::move(loop)), name_(std::move(name)) {}
  std::string type_name() const override { return "method"; }
  std::string repr() const override { return "<bound method LoopContext." + name_ + ">"; }
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& /*evaluator*/, CallArgs args) override {
    if (!args.keywords.empty()) {
      return base::invalid_argument("loop.{}() got an unexpected keyword argument '{}'", name_, args.keywords[0].first);
    }
    if (name_ == "cycle") {
      if (args.positional.empty()) return base::invalid_argument("no items for cycling given");
      return args.positional[loop_->index0() % args.positional.size()];
    }
    Value value = args.positional.size() == 1 ? args.positional[0] : Value::tuple(args.positional);
    return Value::boolean(loop_->changed(value));
  }

 private:
  std::shared_ptr<LoopObject> loop_;
  std::string name_;
};

}  // namespace

Value MacroObject::attribute(std::string_view name) {
  if (name == "name") return Value::string(stmt_.name);
  if (name == "catch_kwargs") return Value::boolean(stmt_.uses_kwargs);
  if (name == "catch_varargs") return Value::boolean(stmt_.uses_varargs);
  if (name == "caller") return Value::boolean(stmt_.uses_caller);
  if (name == "arguments") {
    std::vector<Value> names;
    for (const auto& param : stmt_.params) names.push_back(Value::string(param.name));
    return Value::tuple(std::move(names));
  }
  return Object::attribute(name);
}

std::string LoopObject::repr() const {
  return "<LoopContext " + std::to_string(index0_ + 1) + "/" + std::to_string(items_->size()) + ">";
}

Value LoopObject::attribute(std::string_view name) {
  auto length = static_cast<int64_t>(items_->size());
  auto index0 = static_cast<int64_t>(index0_);
  if (name == "index") return Value::integer(index0 + 1);
  if (name == "index0") return Value::integer(index0);
  if (name == "revindex") return Value::integer(length - index0);
  if (name == "revindex0") return Value::integer(length - index0 - 1);
  if (name == "first") return Value::boolean(index0 == 0);
  if (name == "last") return Value::boolean(index0 + 1 == length);
  if (name == "length") return Value::integer(length);
  if (name == "depth") return Value::integer(depth0_ + 1);
  if (name == "depth0") return Value::integer(depth0_);
  if (name == "previtem") {
    if (index0 == 0) return undefined_with_hint("there is no previous item");
    return (*items_)[index0_ - 1];
  }
  if (name == "nextitem") {
    if (index0 + 1 >= length) return undefined_with_hint("there is no next item");
    return (*items_)[index0_ + 1];
  }
  if (name == "cycle" || name == "changed") {
    return Value::object(
        std::make_shared<LoopMethod>(std::static_pointer_cast<LoopObject>(shared_from_this()), std::string(name)));
  }
  return Object::attribute(name);
}

base::Result<Value> LoopObject::call(Evaluator& evaluator, CallArgs args) {
  if (!stmt_.recursive) {
    return base::invalid_argument("The loop must have the 'recursive' marker to be called recursively.");
  }
  if (args.positional.size() != 1 || !args.keywords.empty()) {
    return base::invalid_argument("loop() takes exactly one iterable argument");
  }
  return evaluator.call_recursive_loop(*this, args.positional[0]);
}

bool LoopObject::changed(const Value& value) {
  if (has_last_changed_ && values_equal(last_changed_, value)) return false;
  has_last_changed_ = true;
  last_changed_ = value;
  return true;
}

std::string BoundMethod::repr() const {
  return "<built-in method " + name_ + " of " + python_type_name(receiver_) + " object>";
}

base::Result<Value> BoundMethod::call(Evaluator& evaluator, CallArgs args) {
  return call_method(evaluator, receiver_, name_, args);
}

}  // namespace fovea::text::jinja
