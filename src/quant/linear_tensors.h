// LinearTensors: the checkpoint tensors of one Linear module ("<module>.<suffix>") with checked reads: presence,
// dtype and shape checks whose errors name the tensor and say what is wrong, and element reads that tolerate
// unaligned data. Must not know any quantization format.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "quant/tensor_lookup.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/tensor_view.h"

namespace fovea::quant {

class LinearTensors {
 public:
  LinearTensors(const TensorLookup& lookup, std::string_view module_name)
      : lookup_(lookup), module_name_(module_name) {}

  const std::string& module_name() const { return module_name_; }
  std::string tensor_name(std::string_view suffix) const { return module_name_ + "." + std::string(suffix); }

  // nullptr when the checkpoint has no such tensor.
  const tensor::TensorView* find(std::string_view suffix) const;
  // The tensor, or a NotFound error naming it and `why` it is needed ("the scales of a compressed-tensors weight").
  base::Result<const tensor::TensorView*> require(std::string_view suffix, std::string_view why) const;

  // DataLoss unless `view` (tensor `suffix`) has one of `dtypes`.
  base::Status expect_dtype(const tensor::TensorView& view, std::string_view suffix,
                            std::initializer_list<tensor::DType> dtypes) const;
  // DataLoss unless `view` has exactly `shape`; `meaning` says where the shape comes from ("[N, K/8] for N = 64").
  base::Status expect_shape(const tensor::TensorView& view, std::string_view suffix, const tensor::Shape& shape,
                            std::string_view meaning) const;

 private:
  const TensorLookup& lookup_;
  std::string module_name_;
};

// Element idx of an I32 tensor as uint32 (unaligned-safe).
uint32_t read_u32(const tensor::TensorView& view, int64_t idx);
// Every element of a bf16 / f16 / f32 tensor as float.
std::vector<float> read_floats(const tensor::TensorView& view);
// Every element of an I32 / I64 tensor.
std::vector<int64_t> read_ints(const tensor::TensorView& view);

// ceil(a / b) for positive b.
inline int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

}  // namespace fovea::quant
