// CudaBackend: one CUDA card as a Backend: buffers from a stream-ordered memory pool, blocking CUDA streams,
// host<->device and device copies of (strided) views, and the CUDA op table. This header has no CUDA includes, so
// the lead's code and the tests can name it in builds that link the CUDA backend; create it through
// cuda_factory.h. Must not contain op implementations.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/backend.h"

namespace fovea::backend::cuda {

class CudaMemoryPool;
class CudaStream;
class CudaOps;

class CudaBackend final : public Backend {
 public:
  static base::Result<std::unique_ptr<CudaBackend>> create(int device_index);
  ~CudaBackend() override;

  Device device() const override { return device_; }
  std::string_view name() const override { return "cuda"; }
  base::Result<std::unique_ptr<Buffer>> allocate(size_t size_bytes) override;
  Stream& default_stream() override;
  base::Result<std::unique_ptr<Stream>> create_stream() override;
  base::Status synchronize(Stream& stream) override;
  base::Status copy_from_host(Stream& stream, const void* src, const Tensor& dst) override;
  base::Status copy_to_host(Stream& stream, const Tensor& src, void* dst) override;
  base::Status copy(Stream& stream, const Tensor& src, const Tensor& dst) override;
  Ops& ops() override;
  // A CUDA graph of the work (defined in cuda_graph.cpp).
  base::Result<std::unique_ptr<Graph>> capture_graph(Stream& stream,
                                                     const std::function<base::Status()>& record) override;

  // How often a stream's scratch memory grew (tests: a warm decode loop must not grow it).
  static int64_t num_scratch_growths(const Stream& stream);
  // Device memory the pool holds (in use or kept for reuse), in bytes.
  size_t reserved_bytes() const;

 private:
  CudaBackend(Device device, std::shared_ptr<CudaMemoryPool> pool, std::unique_ptr<CudaStream> default_stream,
              std::unique_ptr<CudaOps> ops);
  base::Status check_stream(std::string_view op, const Stream& stream) const;

  Device device_;
  std::shared_ptr<CudaMemoryPool> pool_;
  std::unique_ptr<CudaOps> ops_;
  std::unique_ptr<CudaStream> default_stream_;
};

}  // namespace fovea::backend::cuda
