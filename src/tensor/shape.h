// Shape: the dimensions of a tensor, outermost first, with overflow-checked element counts.
// Must not contain storage.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace fovea::tensor {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int axis) const { return dims_[static_cast<size_t>(axis)]; }
  const std::vector<int64_t>& dims() const { return dims_; }

  // Product of the dimensions (1 for a scalar); nullopt on overflow or a negative dimension.
  std::optional<int64_t> checked_numel() const;
  // Product of the dimensions; the shape must be valid (built by fovea, or checked at load).
  int64_t numel() const;

  bool operator==(const Shape& other) const = default;

  // "[2, 3, 4]"
  std::string to_string() const;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace fovea::tensor
