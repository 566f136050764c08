// Tensor: a typed, non-owning view into a Buffer (buffer, byte offset, dtype, shape, stride of dim 0).
// Dims 1.. are densely packed; dim 0 may be strided, so column slices of a fused [M, 2I] or [T, qkv] matrix
// and per-head views of them need no copy. Must not own memory or contain op code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/buffer.h"
#include "base/status.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace fovea::backend {

struct Tensor {
  Buffer* buffer = nullptr;  // not owned; the memory the view lives in
  int64_t offset_bytes = 0;  // where element 0 sits inside buffer
  tensor::DType dtype = tensor::DType::kF32;
  tensor::Shape shape;     // outermost first, rank >= 1
  int64_t row_stride = 0;  // elements between consecutive indices of dim 0; 0: packed

  // A packed view of `shape` at `offset_bytes` inside `buffer`.
  static Tensor on(Buffer& buffer, tensor::DType dtype, tensor::Shape shape, int64_t offset_bytes = 0);

  int rank() const { return shape.rank(); }
  int64_t dim(int axis) const { return shape[axis]; }
  int64_t numel() const { return shape.numel(); }
  int64_t num_rows() const { return shape[0]; }
  // Elements in one index of dim 0 (the product of dims 1..).
  int64_t row_numel() const;
  // Elements between the starts of consecutive rows (row_stride, or row_numel when packed).
  int64_t stride_rows() const { return row_stride != 0 ? row_stride : row_numel(); }
  int64_t last_dim() const { return shape[rank() - 1]; }
  int element_size_bytes() const { return tensor::dtype_size_bytes(dtype); }
  bool is_packed() const { return row_stride == 0 || row_stride == row_numel() || num_rows() <= 1; }
  // Bytes from element 0 to one past the last element (0 for an empty tensor).
  int64_t span_bytes() const;

  // Rows [begin, begin + count) of dim 0. The caller keeps the range inside the tensor.
  Tensor slice_rows(int64_t begin, int64_t count) const;
  // Columns [begin, begin + count) of a rank-2 tensor, as a strided view (e.g. gate and up of a fused matrix).
  Tensor slice_columns(int64_t begin, int64_t count) const;
  // The same elements with another shape that keeps dim 0 (any view), or any shape with the same element
  // count (packed views only).
  base::Result<Tensor> reshaped(tensor::Shape new_shape) const;

  // Host address of element 0; only for buffers on the CPU.
  std::byte* host_bytes() const { return static_cast<std::byte*>(buffer->data()) + offset_bytes; }
};

}  // namespace fovea::backend
