// TensorView: a non-owning, contiguous (row-major) view of typed bytes, e.g. a weight inside a mapped file.
// Must not own memory or know about devices.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace fovea::tensor {

struct TensorView {
  const void* data = nullptr;  // not owned
  DType dtype = DType::kF32;
  Shape shape;

  int64_t numel() const { return shape.numel(); }
  size_t size_bytes() const { return static_cast<size_t>(numel()) * static_cast<size_t>(dtype_size_bytes(dtype)); }

  template <typename T>
  const T* as() const {
    return static_cast<const T*>(data);
  }
};

}  // namespace fovea::tensor
