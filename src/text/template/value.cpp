// Value construction, Python truthiness, equality and hashing; Dict, Namespace and Object basics.
#include "text/template/value.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

namespace fovea::text::jinja {
namespace {

// Dicts at least this large get a hash index; smaller ones are scanned (chat messages have a handful of keys).
constexpr size_t kIndexThreshold = 12;

thread_local uint64_t tls_allocated_bytes = 0;

uint64_t mix(uint64_t hash, uint64_t more) { return (hash ^ more) * 0x100000001B3ULL + 0x9E3779B97F4A7C15ULL; }

// Exact comparison of an int64 with a double, as Python compares int and float.
int compare_int_double(int64_t a, double b) {
  if (std::isnan(b)) return 2;  // unordered
  if (b >= 9223372036854775808.0) return -1;
  if (b < -9223372036854775808.0) return 1;
  double whole = std::trunc(b);
  auto b_int = static_cast<int64_t>(whole);
  if (a != b_int) return a < b_int ? -1 : 1;
  if (b == whole) return 0;
  return b > whole ? -1 : 1;
}

}  // namespace

uint64_t allocation_counter() { return tls_allocated_bytes; }

void count_allocation(uint64_t bytes) { tls_allocated_bytes += bytes; }

Value Value::undefined(UndefinedInfo info) {
  Value value;
  value.ptr_ = std::make_shared<UndefinedInfo>(std::move(info));
  return value;
}

Value Value::none() {
  Value value;
  value.kind_ = ValueKind::kNone;
  return value;
}

Value Value::boolean(bool flag) {
  Value value;
  value.kind_ = ValueKind::kBool;
  value.bool_ = flag;
  return value;
}

Value Value::integer(int64_t number) {
  Value value;
  value.kind_ = ValueKind::kInt;
  value.int_ = number;
  return value;
}

Value Value::floating(double number) {
  Value value;
  value.kind_ = ValueKind::kFloat;
  value.float_ = number;
  return value;
}

Value Value::string(std::string text) {
  Value value;
  value.kind_ = ValueKind::kString;
  tls_allocated_bytes += text.size() + sizeof(std::string);
  value.ptr_ = std::make_shared<std::string>(std::move(text));
  return value;
}

Value Value::sequence(std::vector<Value> items, SequenceKind kind) {
  auto seq = std::make_shared<Sequence>();
  uint32_t depth = 0;
  for (const Value& item : items) depth = std::max(depth, item.depth());
  tls_allocated_bytes += (items.size() + 1) * sizeof(Value);
  seq->items = std::move(items);
  seq->kind = kind;
  seq->depth = depth + 1;
  Value value;
  value.kind_ = ValueKind::kSequence;
  value.ptr_ = std::move(seq);
  return value;
}

Value Value::range(std::vector<Value> items, int64_t start, int64_t stop, int64_t step) {
  Value value = sequence(std::move(items), SequenceKind::kRange);
  auto* seq = static_cast<Sequence*>(value.ptr_.get());
  seq->range_start = start;
  seq->range_stop = stop;
  seq->range_step = step;
  return value;
}

Value Value::dict(std::shared_ptr<const Dict> dict) {
  Value value;
  value.kind_ = ValueKind::kDict;
  value.ptr_ = std::const_pointer_cast<Dict>(std::move(dict));
  return value;
}

Value Value::namespace_ref(Namespace* ns) {
  Value value;
  value.kind_ = ValueKind::kNamespace;
  value.ns_ = ns;
  return value;
}

Value Value::object(std::shared_ptr<Object> object) {
  Value value;
  value.kind_ = ValueKind::kObject;
  value.ptr_ = std::move(object);
  return value;
}

bool Value::is_list_like() const {
  if (kind_ != ValueKind::kSequence) return false;
  SequenceKind seq_kind = as_sequence().kind;
  return seq_kind == SequenceKind::kList || seq_kind == SequenceKind::kTuple;
}

bool Value::is_indexable() const {
  return is_list_like() || (kind_ == ValueKind::kSequence && as_sequence().kind == SequenceKind::kRange);
}

uint32_t Value::depth() const {
  if (kind_ == ValueKind::kSequence) return as_sequence().depth;
  if (kind_ == ValueKind::kDict) return as_dict().depth();
  return 0;
}

bool truthy(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return false;
    case ValueKind::kBool:
      return value.as_bool();
    case ValueKind::kInt:
      return value.as_int() != 0;
    case ValueKind::kFloat:
      return value.as_double() != 0.0;
    case ValueKind::kString:
      return !value.as_string().empty();
    case ValueKind::kSequence:
      return value.as_sequence().kind == SequenceKind::kIterator || !value.as_sequence().items.empty();
    case ValueKind::kDict:
      return value.as_dict().size() != 0;
    case ValueKind::kNamespace:
    case ValueKind::kObject:
      return true;
  }
  return false;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() && b.is_float()) return a.as_double() == b.as_double();
    if (a.is_float()) return compare_int_double(b.as_int(), a.as_double()) == 0;
    if (b.is_float()) return compare_int_double(a.as_int(), b.as_double()) == 0;
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return true;
    case ValueKind::kString:
      return a.as_string() == b.as_string();
    case ValueKind::kSequence: {
      const Sequence& x = a.as_sequence();
      const Sequence& y = b.as_sequence();
      bool comparable =
          (x.kind == SequenceKind::kList || x.kind == SequenceKind::kTuple || x.kind == SequenceKind::kRange) &&
          x.kind == y.kind;
      if (!comparable) return &x == &y;
      if (x.items.size() != y.items.size()) return false;
      for (size_t idx = 0; idx < x.items.size(); ++idx) {
        if (!values_equal(x.items[idx], y.items[idx])) return false;
      }
      return true;
    }
    case ValueKind::kDict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.entries()) {
        const Value* other = y.find(key);
        if (other == nullptr || !values_equal(value, *other)) return false;
      }
      return true;
    }
    default:
      return a.identity() == b.identity();
  }
}

base::Result<uint64_t> hash_value(const Value& key) {
  switch (key.kind()) {
    case ValueKind::kNone:
      return uint64_t{0x6E6F6E65};
    case ValueKind::kBool:
    case ValueKind::kInt:
      return static_cast<uint64_t>(key.as_int()) * 0x9E3779B97F4A7C15ULL;
    case ValueKind::kFloat: {
      double number = key.as_double();
      if (std::trunc(number) == number && std::fabs(number) < 9.2e18) {
        return static_cast<uint64_t>(static_cast<int64_t>(number)) * 0x9E3779B97F4A7C15ULL;
      }
      uint64_t bits = 0;
      std::memcpy(&bits, &number, sizeof(bits));
      return mix(bits, 0xF10A7);
    }
    case ValueKind::kString:
      return static_cast<uint64_t>(std::hash<std::string_view>{}(key.as_string()));
    case ValueKind::kSequence:
      if (key.as_sequence().kind == SequenceKind::kTuple) {
        uint64_t hash = 0x7475706C65;
        for (const Value& item : key.as_sequence().items) {
          FOVEA_ASSIGN_OR_RETURN(uint64_t item_hash, hash_value(item));
          hash = mix(hash, item_hash);
        }
        return hash;
      }
      return base::invalid_argument("unhashable type: 'list'");
    case ValueKind::kDict:
      return base::invalid_argument("unhashable type: 'dict'");
    case ValueKind::kUndefined:
      return uint64_t{0x756E646566};
    case ValueKind::kNamespace:
    case ValueKind::kObject:
      return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(key.identity()));
  }
  return base::invalid_argument("unhashable value");
}

Dict::Dict(const Dict& other)
    : entries_(other.entries_), hashes_(other.hashes_), slots_(other.slots_), depth_(other.depth_) {
  tls_allocated_bytes += entries_.size() * (2 * sizeof(Value) + sizeof(uint64_t));
}

Dict& Dict::operator=(const Dict& other) {
  if (this != &other) {
    entries_ = other.entries_;
    hashes_ = other.hashes_;
    slots_ = other.slots_;
    depth_ = other.depth_;
    tls_allocated_bytes += entries_.size() * (2 * sizeof(Value) + sizeof(uint64_t));
  }
  return *this;
}

size_t Dict::find_index(const Value& key, uint64_t hash) const {
  if (slots_.empty()) {
    for (size_t idx = 0; idx < entries_.size(); ++idx) {
      if (hashes_[idx] == hash && values_equal(entries_[idx].first, key)) return idx;
    }
    return entries_.size();
  }
  size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    uint32_t entry = slots_[slot];
    if (entry == 0) return entries_.size();
    size_t idx = entry - 1;
    if (hashes_[idx] == hash && values_equal(entries_[idx].first, key)) return idx;
  }
}

void Dict::rebuild_index() {
  size_t capacity = 16;
  while (capacity < entries_.size() * 2) capacity *= 2;
  slots_.assign(capacity, 0);
  size_t mask = capacity - 1;
  for (size_t idx = 0; idx < entries_.size(); ++idx) {
    size_t slot = hashes_[idx] & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<uint32_t>(idx + 1);
  }
}

base::Status Dict::set(Value key, Value value) {
  FOVEA_ASSIGN_OR_RETURN(uint64_t hash, hash_value(key));
  size_t existing = find_index(key, hash);
  if (existing < entries_.size()) {
    entries_[existing].second = std::move(value);
    depth_ = std::max(depth_, entries_[existing].second.depth() + 1);
    return base::Status();
  }
  depth_ = std::max({depth_, key.depth() + 1, value.depth() + 1});
  tls_allocated_bytes += 2 * sizeof(Value) + sizeof(uint64_t);
  entries_.emplace_back(std::move(key), std::move(value));
  hashes_.push_back(hash);
  if (entries_.size() >= kIndexThreshold && entries_.size() * 2 > slots_.size()) {
    rebuild_index();
  } else if (!slots_.empty()) {
    size_t mask = slots_.size() - 1;
    size_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<uint32_t>(entries_.size());
  }
  return base::Status();
}

const Value* Dict::find(const Value& key) const {
  auto hash = hash_value(key);
  if (!hash.ok()) return nullptr;
  size_t idx = find_index(key, *hash);
  return idx < entries_.size() ? &entries_[idx].second : nullptr;
}

const Value* Dict::find(std::string_view key) const {
  if (slots_.empty()) {
    for (const auto& [entry_key, value] : entries_) {
      if (entry_key.is_string() && entry_key.as_string() == key) return &value;
    }
    return nullptr;
  }
  return find(Value::string(std::string(key)));
}

const Value* Namespace::find(std::string_view name) const {
  for (const auto& [attr, value] : attributes_) {
    if (attr == name) return &value;
  }
  return nullptr;
}

void Namespace::set(std::string_view name, Value value) {
  for (auto& [attr, existing] : attributes_) {
    if (attr == name) {
      existing = std::move(value);
      return;
    }
  }
  attributes_.emplace_back(std::string(name), std::move(value));
}

Value Object::attribute(std::string_view name) {
  UndefinedInfo info;
  info.name = std::string(name);
  info.owner_type = type_name() + " object";
  return Value::undefined(std::move(info));
}

base::Result<Value> Object::call(Evaluator& /*evaluator*/, CallArgs /*args*/) {
  return base::invalid_argument("'{}' object is not callable", type_name());
}

}  // namespace fovea::text::jinja
