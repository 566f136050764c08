// Host-side helpers of the CUDA backend: CUDA runtime and cuBLASLt return codes as base::Status, and making a
// card the calling thread's current device. Must not contain kernels or ops.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <string_view>

#include "base/status.h"

namespace fovea::backend::cuda {

inline base::Status cuda_status(cudaError_t error, std::string_view what) {
  if (error == cudaSuccess) return base::Status();
  if (error == cudaErrorMemoryAllocation) {
    return base::make_error(base::StatusCode::kResourceExhausted,
                            "cuda backend: {} ran out of GPU memory; lower the KV cache size or the batch limits",
                            what);
  }
  return base::internal_error("cuda backend: {} failed: {} ({})", what, cudaGetErrorName(error),
                              cudaGetErrorString(error));
}

inline base::Status cublas_status(cublasStatus_t status, std::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return base::Status();
  return base::internal_error("cuda backend: {} failed with cuBLASLt status {} ({})", what, static_cast<int>(status),
                              cublasLtGetStatusString(status));
}

// Makes `device_index` the current device of the calling thread (kernels and streams belong to one card).
inline base::Status use_device(int device_index) {
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current == device_index) return base::Status();
  return cuda_status(cudaSetDevice(device_index), "selecting the GPU");
}

}  // namespace fovea::backend::cuda
