// CudaMemoryPool: the device memory of one card, a CUDA stream-ordered pool that keeps what is freed reserved
// (release threshold: never), so after warm-up allocations and frees reuse memory without cudaMalloc.
// Must not contain buffers' views or ops.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

#include "base/status.h"

namespace fovea::backend::cuda {

class CudaMemoryPool {
 public:
  static base::Result<std::shared_ptr<CudaMemoryPool>> create(int device_index);
  ~CudaMemoryPool();
  CudaMemoryPool(const CudaMemoryPool&) = delete;
  CudaMemoryPool& operator=(const CudaMemoryPool&) = delete;

  int device_index() const { return device_index_; }

  // size_bytes (at least 1) ordered on `stream`: usable by work enqueued after this call on that stream. On
  // cudaStreamLegacy it is ordered against every blocking stream of the card, which is how Backend::allocate
  // hands out buffers that any stream may use.
  base::Result<void*> allocate(size_t size_bytes, cudaStream_t stream);
  // Returns the memory after the work enqueued so far on `stream` (cudaStreamLegacy: on every blocking stream).
  void free(void* data, cudaStream_t stream);
  // Bytes the pool holds from the driver (in use or kept for reuse).
  size_t reserved_bytes() const;

 private:
  CudaMemoryPool(int device_index, cudaMemPool_t pool) : device_index_(device_index), pool_(pool) {}

  int device_index_;
  cudaMemPool_t pool_;  // owned
};

}  // namespace fovea::backend::cuda
