// Tensor views: sizes, slices and reshapes. Bounds against the buffer are checked by op_checks, not here.
#include "backend/tensor.h"

#include "base/check.h"

namespace fovea::backend {

Tensor Tensor::on(Buffer& buffer, tensor::DType dtype, tensor::Shape shape, int64_t offset_bytes) {
  Tensor view;
  view.buffer = &buffer;
  view.offset_bytes = offset_bytes;
  view.dtype = dtype;
  view.shape = std::move(shape);
  return view;
}

int64_t Tensor::row_numel() const {
  int64_t count = 1;
  for (int axis = 1; axis < rank(); ++axis) count *= shape[axis];
  return count;
}

int64_t Tensor::span_bytes() const {
  if (rank() == 0 || numel() == 0) return 0;
  const int64_t last_element = (num_rows() - 1) * stride_rows() + row_numel();
  return last_element * element_size_bytes();
}

Tensor Tensor::slice_rows(int64_t begin, int64_t count) const {
  FOVEA_CHECK(rank() >= 1 && begin >= 0 && count >= 0 && begin + count <= num_rows(), "rows {}+{} of {}", begin, count,
              shape.to_string());
  Tensor view = *this;
  view.offset_bytes += begin * stride_rows() * element_size_bytes();
  std::vector<int64_t> dims = shape.dims();
  dims[0] = count;
  view.shape = tensor::Shape(std::move(dims));
  view.row_stride = stride_rows();
  return view;
}

Tensor Tensor::slice_columns(int64_t begin, int64_t count) const {
  FOVEA_CHECK(rank() == 2 && begin >= 0 && count >= 0 && begin + count <= shape[1], "columns {}+{} of {}", begin, count,
              shape.to_string());
  Tensor view = *this;
  view.offset_bytes += begin * element_size_bytes();
  view.shape = tensor::Shape({shape[0], count});
  view.row_stride = stride_rows();
  return view;
}

base::Result<Tensor> Tensor::reshaped(tensor::Shape new_shape) const {
  const std::optional<int64_t> new_numel = new_shape.checked_numel();
  if (new_shape.rank() == 0 || !new_numel || *new_numel != numel()) {
    return base::invalid_argument("cannot view a tensor of shape {} as {}: the element counts differ",
                                  shape.to_string(), new_shape.to_string());
  }
  Tensor view = *this;
  if (new_shape[0] == shape[0]) {
    view.row_stride = stride_rows();
  } else if (is_packed()) {
    view.row_stride = 0;
  } else {
    return base::invalid_argument(
        "cannot view a strided tensor of shape {} as {}: only dims after the first may change", shape.to_string(),
        new_shape.to_string());
  }
  view.shape = std::move(new_shape);
  if (view.row_stride == view.row_numel()) view.row_stride = 0;
  return view;
}

}  // namespace fovea::backend
