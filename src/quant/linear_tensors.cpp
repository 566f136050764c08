// LinearTensors: presence, dtype and shape checks with messages that name the tensor; unaligned element reads.
#include "quant/linear_tensors.h"

#include <cstring>

#include "tensor/float_convert.h"

namespace fovea::quant {

const tensor::TensorView* LinearTensors::find(std::string_view suffix) const {
  return lookup_.find(tensor_name(suffix));
}

base::Result<const tensor::TensorView*> LinearTensors::require(std::string_view suffix, std::string_view why) const {
  const tensor::TensorView* view = find(suffix);
  if (view == nullptr) {
    return base::not_found(
        "tensor {} is missing: it holds {}; the checkpoint is incomplete, re-download or "
        "re-export it",
        tensor_name(suffix), why);
  }
  return view;
}

base::Status LinearTensors::expect_dtype(const tensor::TensorView& view, std::string_view suffix,
                                         std::initializer_list<tensor::DType> dtypes) const {
  std::string allowed;
  for (tensor::DType dtype : dtypes) {
    if (view.dtype == dtype) return base::Status();
    allowed += (allowed.empty() ? "" : " or ") + std::string(tensor::dtype_name(dtype));
  }
  return base::data_loss("tensor {} is {} but must be {}; the checkpoint is malformed", tensor_name(suffix),
                         tensor::dtype_name(view.dtype), allowed);
}

base::Status LinearTensors::expect_shape(const tensor::TensorView& view, std::string_view suffix,
                                         const tensor::Shape& shape, std::string_view meaning) const {
  if (view.shape == shape) return base::Status();
  return base::data_loss("tensor {} has shape {} but must be {} ({}); the checkpoint is malformed", tensor_name(suffix),
                         view.shape.to_string(), shape.to_string(), meaning);
}

uint32_t read_u32(const tensor::TensorView& view, int64_t idx) {
  uint32_t value = 0;
  std::memcpy(&value, static_cast<const std::byte*>(view.data) + idx * 4, sizeof(value));
  return value;
}

std::vector<float> read_floats(const tensor::TensorView& view) {
  const int64_t count = view.numel();
  std::vector<float> out(static_cast<size_t>(count));
  const auto* bytes = static_cast<const std::byte*>(view.data);
  for (int64_t idx = 0; idx < count; ++idx) {
    uint16_t half = 0;
    switch (view.dtype) {
      case tensor::DType::kF32:
        std::memcpy(&out[static_cast<size_t>(idx)], bytes + idx * 4, 4);
        break;
      case tensor::DType::kBF16:
        std::memcpy(&half, bytes + idx * 2, 2);
        out[static_cast<size_t>(idx)] = tensor::bf16_to_float(half);
        break;
      default:
        std::memcpy(&half, bytes + idx * 2, 2);
        out[static_cast<size_t>(idx)] = tensor::f16_to_float(half);
        break;
    }
  }
  return out;
}

std::vector<int64_t> read_ints(const tensor::TensorView& view) {
  const int64_t count = view.numel();
  std::vector<int64_t> out(static_cast<size_t>(count));
  const auto* bytes = static_cast<const std::byte*>(view.data);
  for (int64_t idx = 0; idx < count; ++idx) {
    if (view.dtype == tensor::DType::kI64) {
      std::memcpy(&out[static_cast<size_t>(idx)], bytes + idx * 8, 8);
    } else {
      int32_t value = 0;
      std::memcpy(&value, bytes + idx * 4, 4);
      out[static_cast<size_t>(idx)] = value;
    }
  }
  return out;
}

}  // namespace fovea::quant
