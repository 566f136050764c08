// CudaGraph: an instantiated CUDA graph captured from one CudaStream, and the scratch generation it was captured
// at (ops take scratch from the stream; when the scratch grows the old block is freed and the graph goes stale).
// Must not contain model code; CudaBackend::capture_graph (defined in cuda_graph.cpp) is the only maker.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "backend/cuda/cuda_stream.h"
#include "backend/graph.h"
#include "base/status.h"

namespace fovea::backend::cuda {

class CudaGraph final : public Graph {
 public:
  // Captures what `record` enqueues on `stream` (thread-local capture mode: a forbidden call such as cudaMalloc
  // or a synchronize inside `record` fails the capture instead of corrupting it). An error when `record` fails,
  // when the capture is invalidated, or when the stream's scratch grew during the capture.
  static base::Result<std::unique_ptr<CudaGraph>> capture(CudaStream& stream,
                                                          const std::function<base::Status()>& record);
  ~CudaGraph() override;

  base::Status replay(Stream& stream) override;
  bool stale() const override { return stream_->num_scratch_growths() != scratch_generation_; }

 private:
  CudaGraph(CudaStream* stream, cudaGraphExec_t exec, int64_t scratch_generation)
      : stream_(stream), exec_(exec), scratch_generation_(scratch_generation) {}

  CudaStream* stream_;    // not owned: the stream the graph was captured on (and is replayed on)
  cudaGraphExec_t exec_;  // owned
  int64_t scratch_generation_;
};

}  // namespace fovea::backend::cuda
