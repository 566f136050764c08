// CudaStream: a blocking CUDA stream of one card plus its scratch memory (cuBLASLt workspace, fp32 GEMM
// products, attention splits, top-k keys). Scratch grows, stream-ordered, to the largest size an op asked for and
// then stays, so a warm decode loop allocates nothing. Must not contain ops.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "backend/cuda/cuda_memory_pool.h"
#include "backend/stream.h"
#include "base/status.h"

namespace fovea::backend::cuda {

class CudaStream final : public Stream {
 public:
  static base::Result<std::unique_ptr<CudaStream>> create(std::shared_ptr<CudaMemoryPool> pool);
  ~CudaStream() override;

  Device device() const override { return Device{DeviceKind::kCuda, pool_->device_index()}; }
  cudaStream_t handle() const { return stream_; }

  // At least size_bytes of device memory for work enqueued on this stream until the next call (256-byte
  // aligned). Grows (and counts a growth) only when size_bytes exceeds every earlier request.
  base::Result<void*> scratch(size_t size_bytes);
  int64_t num_scratch_growths() const { return num_scratch_growths_; }

 private:
  CudaStream(std::shared_ptr<CudaMemoryPool> pool, cudaStream_t stream) : pool_(std::move(pool)), stream_(stream) {}

  std::shared_ptr<CudaMemoryPool> pool_;
  cudaStream_t stream_;      // owned
  void* scratch_ = nullptr;  // owned, from pool_
  size_t scratch_bytes_ = 0;
  int64_t num_scratch_growths_ = 0;
};

}  // namespace fovea::backend::cuda
