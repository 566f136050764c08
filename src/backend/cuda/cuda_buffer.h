// CudaBuffer: one allocation from a card's CudaMemoryPool, returned to the pool (after all work enqueued so far
// on the card's blocking streams) when the owner drops it. Must not contain views or copies.
#pragma once

#include <cstddef>
#include <memory>

#include "backend/buffer.h"
#include "backend/cuda/cuda_memory_pool.h"

namespace fovea::backend::cuda {

class CudaBuffer final : public Buffer {
 public:
  CudaBuffer(std::shared_ptr<CudaMemoryPool> pool, void* data, size_t size_bytes)
      : pool_(std::move(pool)), data_(data), size_bytes_(size_bytes) {}
  ~CudaBuffer() override { pool_->free(data_, cudaStreamLegacy); }

  Device device() const override { return Device{DeviceKind::kCuda, pool_->device_index()}; }
  void* data() const override { return data_; }
  size_t size_bytes() const override { return size_bytes_; }
  bool read_only() const override { return false; }

 private:
  std::shared_ptr<CudaMemoryPool> pool_;  // keeps the pool alive while the buffer lives
  void* data_;                            // device memory from pool_, owned
  size_t size_bytes_;
};

}  // namespace fovea::backend::cuda
