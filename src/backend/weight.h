// Weight: the right-hand side of a linear map in nn.Linear layout [out_features, in_features], with its storage
// format. Dense bf16/f16/f32 today; quantized formats add a WeightFormat value and their own fields (scales,
// zeros, group size) and get their own kernels. Must not contain kernels or loading code.
#pragma once

#include <cstdint>

#include "backend/tensor.h"

namespace fovea::backend {

enum class WeightFormat : uint8_t {
  kDense,  // `values` holds the matrix itself
};

struct Weight {
  WeightFormat format = WeightFormat::kDense;
  Tensor values;  // kDense: [out_features, in_features] bf16 / f16 / f32

  int64_t out_features() const { return values.dim(0); }
  int64_t in_features() const { return values.dim(1); }
};

}  // namespace fovea::backend
