// Value: one datum of the template engine, modelled on the Python objects jinja2 templates see (None, bool, int,
// float, str, list/tuple/iterators, dict, jinja2's Namespace and Undefined, callables). Lists and dicts are
// immutable once built (the sandbox forbids mutating them), so values share them freely.
// Must not contain operators, printing or evaluation (value_ops.h, value_format.h, evaluator.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fovea::text::jinja {

class Evaluator;
class Namespace;
class Object;
class Value;

enum class ValueKind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kSequence,
  kDict,
  kNamespace,
  kObject
};

// How a sequence behaves in Python: list, tuple, a single-use iterator (what select/map/unique return) or a dict
// view (dict.items() and friends: reusable, sized, not subscriptable); range() results print as Python's.
enum class SequenceKind : uint8_t { kList, kTuple, kRange, kIterator, kItemsView, kKeysView, kValuesView };

struct Sequence {
  std::vector<Value> items;
  SequenceKind kind = SequenceKind::kList;
  uint32_t depth = 1;             // nesting of sequences/dicts, bounded so deep chains cannot overflow the stack
  mutable bool consumed = false;  // iterators are exhausted after one pass, as in Python
  int64_t range_start = 0;        // kRange: range(start, stop, step), for printing
  int64_t range_stop = 0;
  int64_t range_step = 1;
};

// Why a value is undefined: jinja2 builds its error messages from the missing name and the object it was looked
// up on, or from an explicit hint.
struct UndefinedInfo {
  std::string name;        // the missing variable, attribute or key (its repr when not a string)
  std::string owner_type;  // "dict object" when an attribute of a dict was missing; empty for a missing variable
  std::string hint;        // a complete message that replaces the generated one
  bool name_is_string = true;
};

class Dict;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

class Value {
 public:
  Value() = default;  // undefined
  static Value undefined(UndefinedInfo info);
  static Value none();
  static Value boolean(bool value);
  static Value integer(int64_t value);
  static Value floating(double value);
  static Value string(std::string value);
  static Value sequence(std::vector<Value> items, SequenceKind kind = SequenceKind::kList);
  static Value tuple(std::vector<Value> items) { return sequence(std::move(items), SequenceKind::kTuple); }
  // range(start, stop, step) with its items already computed.
  static Value range(std::vector<Value> items, int64_t start, int64_t stop, int64_t step);
  static Value dict(std::shared_ptr<const Dict> dict);
  static Value namespace_ref(Namespace* ns);  // namespaces are owned by the Evaluator that created them
  static Value object(std::shared_ptr<Object> object);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::kUndefined; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_int() const { return kind_ == ValueKind::kInt; }
  bool is_float() const { return kind_ == ValueKind::kFloat; }
  bool is_number() const { return kind_ == ValueKind::kInt || kind_ == ValueKind::kFloat || kind_ == ValueKind::kBool; }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_sequence() const { return kind_ == ValueKind::kSequence; }
  bool is_dict() const { return kind_ == ValueKind::kDict; }
  bool is_namespace() const { return kind_ == ValueKind::kNamespace; }
  bool is_object() const { return kind_ == ValueKind::kObject; }
  // list or tuple: the sequences Python can concatenate, repeat and serialize
  bool is_list_like() const;
  // list, tuple or range: the sequences Python can index and slice
  bool is_indexable() const;

  bool as_bool() const { return bool_; }
  int64_t as_int() const { return kind_ == ValueKind::kBool ? static_cast<int64_t>(bool_) : int_; }
  double as_double() const { return kind_ == ValueKind::kFloat ? float_ : static_cast<double>(as_int()); }
  const std::string& as_string() const { return *static_cast<const std::string*>(ptr_.get()); }
  const Sequence& as_sequence() const { return *static_cast<const Sequence*>(ptr_.get()); }
  const Dict& as_dict() const { return *static_cast<const Dict*>(ptr_.get()); }
  Namespace& as_namespace() const { return *ns_; }
  Object& as_object() const { return *static_cast<Object*>(ptr_.get()); }
  std::shared_ptr<Object> object_ptr() const { return std::static_pointer_cast<Object>(ptr_); }
  // Null for a plain undefined value.
  const UndefinedInfo* undefined_info() const {
    return kind_ == ValueKind::kUndefined ? static_cast<const UndefinedInfo*>(ptr_.get()) : nullptr;
  }
  // Identity of shared payloads, for the `sameas` test.
  const void* identity() const { return kind_ == ValueKind::kNamespace ? ns_ : ptr_.get(); }

  // Nesting depth as a container (0 for scalars).
  uint32_t depth() const;

 private:
  ValueKind kind_ = ValueKind::kUndefined;
  union {
    bool bool_;
    int64_t int_ = 0;
    double float_;
    Namespace* ns_;
  };
  std::shared_ptr<void> ptr_;  // std::string, Sequence, Dict, Object or UndefinedInfo, by kind_
};

// Bytes of strings, sequence items and dict entries built on this thread so far. The evaluator reads it before
// and during a render to bound the memory a template can build, wherever in the engine the values are made.
uint64_t allocation_counter();
// Adds `bytes` to allocation_counter() for memory the engine keeps that is not a Value (namespaces, macros).
void count_allocation(uint64_t bytes);

// Python's truthiness (Undefined is false, iterators are always true).
bool truthy(const Value& value);

// Python's == (1 == 1.0 == True; dicts compare regardless of order). Deep structures compare recursively.
bool values_equal(const Value& a, const Value& b);

// Python's hash for the hashable kinds (None, bool, int, float, str, tuple), consistent with values_equal.
base::Result<uint64_t> hash_value(const Value& key);

// An insertion-ordered dict. Built once, then read only.
class Dict {
 public:
  Dict() = default;
  Dict(const Dict& other);  // counts the copied entries against the allocation counter
  Dict& operator=(const Dict& other);
  Dict(Dict&&) = default;
  Dict& operator=(Dict&&) = default;
  // Inserts or replaces (keeping the first position, as Python does). Fails for unhashable keys.
  base::Status set(Value key, Value value);
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  uint32_t depth() const { return depth_; }

 private:
  // Index of the entry with `key` (whose hash is `hash`), or size() when absent.
  size_t find_index(const Value& key, uint64_t hash) const;
  void rebuild_index();

  std::vector<std::pair<Value, Value>> entries_;
  std::vector<uint64_t> hashes_;  // hash of each entry's key
  std::vector<uint32_t> slots_;   // open-addressing index (entry index + 1, 0 = empty), built once the dict is large
  uint32_t depth_ = 1;
};

// jinja2's namespace(): the one mutable object templates have (`{% set ns.attr = ... %}`).
class Namespace {
 public:
  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value value);
  const std::vector<std::pair<std::string, Value>>& attributes() const { return attributes_; }
  void clear() { attributes_.clear(); }

 private:
  std::vector<std::pair<std::string, Value>> attributes_;
};

// Callables and special objects: macros, builtin functions, bound methods, loop objects, cyclers, joiners.
class Object : public std::enable_shared_from_this<Object> {
 public:
  virtual ~Object() = default;
  // Python's type name, used in error messages ("function", "Macro", "LoopContext").
  virtual std::string type_name() const = 0;
  virtual std::string repr() const = 0;
  // The attribute `name`, or an undefined value.
  virtual Value attribute(std::string_view name);
  virtual bool callable() const { return false; }
  virtual base::Result<Value> call(Evaluator& evaluator, CallArgs args);
};

}  // namespace fovea::text::jinja
