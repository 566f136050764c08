// CudaStream: cudaStreamCreate (blocking, so the legacy stream orders buffer allocation and release against it)
// and its stream-ordered scratch.
#include "backend/cuda/cuda_stream.h"

#include "backend/cuda/cuda_util.h"

namespace fovea::backend::cuda {
namespace {

constexpr size_t kScratchGranularityBytes = size_t{1} << 20;

}  // namespace

base::Result<std::unique_ptr<CudaStream>> CudaStream::create(std::shared_ptr<CudaMemoryPool> pool) {
  FOVEA_RETURN_IF_ERROR(use_device(pool->device_index()));
  cudaStream_t stream = nullptr;
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaStreamCreate(&stream), "creating a stream"));
  return std::unique_ptr<CudaStream>(new CudaStream(std::move(pool), stream));
}

CudaStream::~CudaStream() {
  if (!use_device(pool_->device_index()).ok()) return;
  pool_->free(scratch_, stream_);
  cudaStreamSynchronize(stream_);
  cudaStreamDestroy(stream_);
}

base::Result<void*> CudaStream::scratch(size_t size_bytes) {
  if (size_bytes <= scratch_bytes_ && scratch_ != nullptr) return scratch_;
  // Grow by at least half again, so a slowly rising size does not reallocate at every step.
  size_t new_bytes =
      size_bytes > scratch_bytes_ + scratch_bytes_ / 2 ? size_bytes : scratch_bytes_ + scratch_bytes_ / 2;
  new_bytes = (new_bytes + kScratchGranularityBytes - 1) / kScratchGranularityBytes * kScratchGranularityBytes;
  pool_->free(scratch_, stream_);
  scratch_ = nullptr;
  scratch_bytes_ = 0;
  FOVEA_ASSIGN_OR_RETURN(scratch_, pool_->allocate(new_bytes, stream_));
  scratch_bytes_ = new_bytes;
  ++num_scratch_growths_;
  return scratch_;
}

}  // namespace fovea::backend::cuda
