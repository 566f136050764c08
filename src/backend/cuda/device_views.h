// Host-side translation of Tensor views into the kernels' DeviceView (address, element type, rows and strides),
// with the collapse of packed views into one long row for element-by-element kernels. Must not contain ops.
#pragma once

#include <cuda_runtime_api.h>

#include <initializer_list>

#include "backend/cuda/kernel_args.h"
#include "backend/tensor.h"

namespace fovea::backend::cuda {

// op_checks admits only these dtypes into kernels.
inline ElemType elem_type(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return ElemType::kBF16;
    case tensor::DType::kF16:
      return ElemType::kF16;
    case tensor::DType::kF8E4M3:
      return ElemType::kF8E4M3;
    case tensor::DType::kI32:
      return ElemType::kI32;
    default:
      return ElemType::kF32;
  }
}

inline cudaDataType_t cuda_data_type(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return CUDA_R_16BF;
    case tensor::DType::kF16:
      return CUDA_R_16F;
    default:
      return CUDA_R_32F;
  }
}

// Device address of element 0.
inline void* device_address(const Tensor& t) { return static_cast<char*>(t.buffer->data()) + t.offset_bytes; }

template <typename T>
T* device_pointer(const Tensor& t) {
  return static_cast<T*>(device_address(t));
}

// Rows = dim 0, each of row_numel() elements, stride_rows() apart.
inline DeviceView device_view(const Tensor& t) {
  DeviceView view;
  view.data = device_address(t);
  view.type = elem_type(t.dtype);
  view.num_rows = t.dim(0);
  view.row_numel = t.row_numel();
  view.stride_rows = t.stride_rows();
  return view;
}

// One row of all the elements (a packed view only).
inline DeviceView collapsed_view(const Tensor& t) {
  DeviceView view = device_view(t);
  view.num_rows = 1;
  view.row_numel = t.numel();
  view.stride_rows = t.numel();
  return view;
}

// Views of same-shape operands for an element-by-element kernel: collapsed when every one is packed (more
// parallel work for 1-D and small-row tensors), else row by row.
inline bool all_packed(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (!t->is_packed()) return false;
  }
  return true;
}

inline DeviceView elementwise_view(const Tensor& t, bool collapse) {
  return collapse ? collapsed_view(t) : device_view(t);
}

}  // namespace fovea::backend::cuda
