// Global functions and helper objects of the chat-template environment.
#include "text/template/builtins.h"

#include <ctime>
#include <memory>

#include "text/template/call_args.h"
#include "text/template/callables.h"
#include "text/template/evaluator.h"
#include "text/template/value_format.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {
namespace {

// Message prefix of errors raised by raise_exception(), which tells them apart from the engine's own errors.
constexpr std::string_view kRaisedByTemplate = "the template raised an error: ";

// jinja2's sandbox refuses ranges longer than this (sandbox.MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

base::Result<int64_t> range_arg(const Value& value) {
  if (!value.is_int() && !value.is_bool()) {
    return base::invalid_argument("'{}' object cannot be interpreted as an integer", python_type_name(value));
  }
  return value.as_int();
}

base::Result<Value> builtin_range(Evaluator& evaluator, CallArgs& args) {
  if (!args.keywords.empty()) return base::invalid_argument("range() takes no keyword arguments");
  size_t count = args.positional.size();
  if (count < 1 || count > 3) return base::invalid_argument("range expected 1 to 3 arguments, got {}", count);
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (count == 1) {
    FOVEA_ASSIGN_OR_RETURN(stop, range_arg(args.positional[0]));
  } else {
    FOVEA_ASSIGN_OR_RETURN(start, range_arg(args.positional[0]));
    FOVEA_ASSIGN_OR_RETURN(stop, range_arg(args.positional[1]));
    if (count == 3) {
      FOVEA_ASSIGN_OR_RETURN(step, range_arg(args.positional[2]));
    }
  }
  if (step == 0) return base::invalid_argument("range() arg 3 must not be zero");
  // Length of range(start, stop, step) without overflow, as CPython computes it.
  uint64_t length = 0;
  if (step > 0 && start < stop) {
    length = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) / static_cast<uint64_t>(step) + 1;
  } else if (step < 0 && start > stop) {
    uint64_t magnitude = static_cast<uint64_t>(-(step + 1)) + 1;
    length = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) / magnitude + 1;
  }
  if (length > static_cast<uint64_t>(kMaxRange)) {
    return base::out_of_range("Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
  }
  FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(length));
  std::vector<Value> items;
  items.reserve(length);
  for (uint64_t idx = 0; idx < length; ++idx) {
    items.push_back(Value::integer(start + static_cast<int64_t>(idx) * step));
  }
  return Value::range(std::move(items), start, stop, step);
}

// dict(*args, **kwargs) as Python builds it: from a mapping or an iterable of pairs, then keywords.
base::Result<std::shared_ptr<Dict>> build_dict(Evaluator& evaluator, const CallArgs& args, std::string_view name) {
  if (args.positional.size() > 1) {
    return base::invalid_argument("{} expected at most 1 argument, got {}", name, args.positional.size());
  }
  auto dict = std::make_shared<Dict>();
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(source.as_dict().size()));
      *dict = source.as_dict();
    } else {
      FOVEA_ASSIGN_OR_RETURN(std::vector<Value> pairs, iterate(source));
      FOVEA_RETURN_IF_ERROR(evaluator.charge_steps(pairs.size()));
      for (size_t idx = 0; idx < pairs.size(); ++idx) {
        FOVEA_ASSIGN_OR_RETURN(std::vector<Value> pair, iterate(pairs[idx]));
        if (pair.size() != 2) {
          return base::invalid_argument("dictionary update sequence element #{} has length {}; 2 is required", idx,
                                        pair.size());
        }
        FOVEA_RETURN_IF_ERROR(dict->set(pair[0], pair[1]));
      }
    }
  }
  for (const auto& [key, value] : args.keywords) FOVEA_RETURN_IF_ERROR(dict->set(Value::string(key), value));
  return dict;
}

base::Result<Value> builtin_dict(Evaluator& evaluator, CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(std::shared_ptr<Dict> dict, build_dict(evaluator, args, "dict"));
  return Value::dict(std::move(dict));
}

base::Result<Value> builtin_namespace(Evaluator& evaluator, CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(std::shared_ptr<Dict> attributes, build_dict(evaluator, args, "namespace"));
  Value ns = evaluator.new_namespace();
  for (const auto& [key, value] : attributes->entries()) {
    if (!key.is_string()) return base::invalid_argument("namespace attribute names must be strings");
    FOVEA_RETURN_IF_ERROR(check_namespace_attribute(key.as_string()));
    ns.as_namespace().set(key.as_string(), value);
  }
  return ns;
}

base::Result<Value> builtin_raise_exception(Evaluator& /*evaluator*/, CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args("raise_exception()", args, {{"message", true}}));
  std::string message = to_display_string(bound[0]);
  return base::invalid_argument("{}{}", kRaisedByTemplate, message);
}

base::Result<Value> builtin_strftime_now(Evaluator& evaluator, CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args("strftime_now()", args, {{"format", true}}));
  if (!bound[0].is_string()) {
    return base::invalid_argument("strftime() argument 1 must be str, not {}", python_type_name(bound[0]));
  }
  const std::string& format = bound[0].as_string();
  if (format.empty()) return Value::string("");
  std::tm now = evaluator.now();
  for (size_t capacity = 256 + format.size() * 4; capacity <= 64 * format.size() + 4096; capacity *= 2) {
    std::string out(capacity, '\0');
    size_t written = std::strftime(out.data(), out.size(), format.c_str(), &now);
    if (written > 0) {
      out.resize(written);
      return Value::string(std::move(out));
    }
  }
  return Value::string("");
}

// jinja2.utils.Cycler: next() returns the current item and advances.
class Cycler : public Object {
 public:
  explicit Cycler(std::vector<Value> items) : items_(std::move(items)) {}
  std::string type_name() const override { return "Cycler"; }
  std::string repr() const override { return "<Cycler>"; }
  Value attribute(std::string_view name) override {
    if (name == "current") return items_[position_];
    if (name == "next" || name == "reset") {
      return Value::object(
          std::make_shared<CyclerMethod>(std::static_pointer_cast<Cycler>(shared_from_this()), name == "next"));
    }
    return Object::attribute(name);
  }

  class CyclerMethod : public Object {
   public:
    CyclerMethod(std::shared_ptr<Cycler> cycler, bool next) : cycler_(std::move(cycler)), next_(next) {}
    std::string type_name() const override { return "method"; }
    std::string repr() const override { return next_ ? "<bound method Cycler.next>" : "<bound method Cycler.reset>"; }
    bool callable() const override { return true; }
    base::Result<Value> call(Evaluator& /*evaluator*/, CallArgs args) override {
      if (!args.positional.empty() || !args.keywords.empty())
        return base::invalid_argument("this method takes no arguments");
      if (!next_) {
        cycler_->position_ = 0;
        return Value::none();
      }
      Value current = cycler_->items_[cycler_->position_];
      cycler_->position_ = (cycler_->position_ + 1) % cycler_->items_.size();
      return current;
    }

   private:
    std::shared_ptr<Cycler> cycler_;
    bool next_;
  };

 private:
  std::vector<Value> items_;
  size_t position_ = 0;
};

base::Result<Value> builtin_cycler(Evaluator& /*evaluator*/, CallArgs& args) {
  if (args.positional.empty()) return base::invalid_argument("at least one item has to be provided");
  return Value::object(std::make_shared<Cycler>(args.positional));
}

// jinja2.utils.Joiner: returns "" the first time it is called, the separator afterwards.
class Joiner : public Object {
 public:
  explicit Joiner(std::string separator) : separator_(std::move(separator)) {}
  std::string type_name() const override { return "Joiner"; }
  std::string repr() const override { return "<Joiner>"; }
  bool callable() const override { return true; }
  base::Result<Value> call(Evaluator& /*evaluator*/, CallArgs /*args*/) override {
    if (!used_) {
      used_ = true;
      return Value::string("");
    }
    return Value::string(separator_);
  }

 private:
  std::string separator_;
  bool used_ = false;
};

base::Result<Value> builtin_joiner(Evaluator& evaluator, CallArgs& args) {
  FOVEA_ASSIGN_OR_RETURN(auto bound, bind_args("joiner()", args, {{"sep", false, Value::string(", ")}}));
  FOVEA_ASSIGN_OR_RETURN(std::string separator, evaluator.to_str(bound[0]));
  return Value::object(std::make_shared<Joiner>(std::move(separator)));
}

Value function(const char* name, BuiltinFn fn) { return Value::object(std::make_shared<BuiltinFunction>(name, fn)); }

}  // namespace

base::Status check_namespace_attribute(std::string_view name) {
  if (!name.empty() && name[0] == '_') {
    std::string shown;
    append_string_repr(shown, name);
    return base::make_error(base::StatusCode::kPermissionDenied,
                            "Chat templates cannot store underscore-prefixed attributes on a namespace, but got {}. "
                            "Please rename the attribute.",
                            shown);
  }
  return base::Status();
}

std::vector<std::pair<std::string, Value>> make_globals() {
  return {
      {"range", function("range", builtin_range)},
      {"dict", function("dict", builtin_dict)},
      {"cycler", function("cycler", builtin_cycler)},
      {"joiner", function("joiner", builtin_joiner)},
      {"namespace", function("namespace", builtin_namespace)},
      {"raise_exception", function("raise_exception", builtin_raise_exception)},
      {"strftime_now", function("strftime_now", builtin_strftime_now)},
  };
}

}  // namespace fovea::text::jinja
