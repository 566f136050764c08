// Shape arithmetic.
#include "tensor/shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/check.h"
#include "base/checked_math.h"

namespace fovea::tensor {

std::optional<int64_t> Shape::checked_numel() const {
  int64_t total = 1;
  for (int64_t dim : dims_) {
    if (dim < 0) return std::nullopt;
    auto product = base::checked_mul(total, dim);
    if (!product) return std::nullopt;
    total = *product;
  }
  return total;
}

int64_t Shape::numel() const {
  auto total = checked_numel();
  FOVEA_CHECK(total.has_value(), "invalid shape {}", to_string());
  return *total;
}

std::string Shape::to_string() const { return fmt::format("[{}]", fmt::join(dims_, ", ")); }

}  // namespace fovea::tensor
