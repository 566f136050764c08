// CudaMemoryPool: cudaMemPoolCreate on one card with an infinite release threshold, stream-ordered allocation.
#include "backend/cuda/cuda_memory_pool.h"

#include <cstdint>
#include <limits>

#include "backend/cuda/cuda_util.h"

namespace fovea::backend::cuda {

base::Result<std::shared_ptr<CudaMemoryPool>> CudaMemoryPool::create(int device_index) {
  FOVEA_RETURN_IF_ERROR(use_device(device_index));
  cudaMemPoolProps props = {};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device_index;
  cudaMemPool_t pool = nullptr;
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaMemPoolCreate(&pool, &props), "creating the GPU memory pool"));
  uint64_t threshold = std::numeric_limits<uint64_t>::max();
  const cudaError_t error = cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold);
  if (error != cudaSuccess) {
    cudaMemPoolDestroy(pool);
    return cuda_status(error, "configuring the GPU memory pool");
  }
  return std::shared_ptr<CudaMemoryPool>(new CudaMemoryPool(device_index, pool));
}

CudaMemoryPool::~CudaMemoryPool() {
  // Outstanding allocations keep the pool's memory until they are freed (CUDA defers the release).
  cudaMemPoolDestroy(pool_);
}

base::Result<void*> CudaMemoryPool::allocate(size_t size_bytes, cudaStream_t stream) {
  FOVEA_RETURN_IF_ERROR(use_device(device_index_));
  void* data = nullptr;
  const cudaError_t error = cudaMallocFromPoolAsync(&data, size_bytes == 0 ? 1 : size_bytes, pool_, stream);
  if (error != cudaSuccess) {
    cudaGetLastError();  // an allocation failure is not sticky; clear it for the next call
    // Too large a request may come back as an invalid value rather than out of memory: both mean it does not fit.
    return base::make_error(base::StatusCode::kResourceExhausted,
                            "cuda backend: cannot allocate {} bytes on cuda:{} ({}); lower the KV cache size or the "
                            "batch limits",
                            size_bytes, device_index_, cudaGetErrorName(error));
  }
  return data;
}

void CudaMemoryPool::free(void* data, cudaStream_t stream) {
  if (data == nullptr) return;
  if (!use_device(device_index_).ok()) return;
  cudaFreeAsync(data, stream);
}

size_t CudaMemoryPool::reserved_bytes() const {
  uint64_t bytes = 0;
  if (cudaMemPoolGetAttribute(pool_, cudaMemPoolAttrReservedMemCurrent, &bytes) != cudaSuccess) return 0;
  return static_cast<size_t>(bytes);
}

}  // namespace fovea::backend::cuda
