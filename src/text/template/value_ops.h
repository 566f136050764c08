// Python's operators on template values: arithmetic (64-bit ints that fail on overflow instead of growing),
// comparisons, ordering for sorts, `in`, indexing and slicing by code point. Errors read like Python's.
// Must not contain statements, filters or attribute lookup (evaluator.h, filters.h).
#pragma once

#include <optional>

#include "base/status.h"
#include "text/template/limits.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

const char* binary_op_symbol(BinaryOp op);

base::Result<Value> binary_op(BinaryOp op, const Value& left, const Value& right, const TemplateLimits& limits);
base::Result<Value> negate(const Value& operand);
base::Result<Value> unary_plus(const Value& operand);
base::Result<bool> compare(CompareOp op, const Value& left, const Value& right);

// Python's `item in container`.
base::Result<bool> contains(const Value& container, const Value& item);

// -1, 0 or 1 as Python's < and == order the two values; fails for unorderable pairs ('<' between str and int).
base::Result<int> order_values(const Value& left, const Value& right);

// Python's len(); fails for values without a length.
base::Result<int64_t> length_of(const Value& value);

// The items a for loop or list() would see: string characters, dict keys, sequence items (consuming iterators).
// Undefined iterates as empty; None and numbers fail as in Python.
base::Result<std::vector<Value>> iterate(const Value& value);

// obj[index] for sequences and strings (negative indices count from the end). nullopt: out of range.
std::optional<Value> index_sequence(const Value& container, int64_t index);

// obj[start:stop:step] for lists, tuples and strings.
base::Result<Value> slice_value(const Value& container, std::optional<int64_t> start, std::optional<int64_t> stop,
                                std::optional<int64_t> step);

// Python's int() and float() of a number (int() truncates floats, fails for inf and nan).
base::Result<int64_t> to_int(const Value& value);

}  // namespace fovea::text::jinja
