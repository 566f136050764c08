// CpuBackend: host memory, a synchronous stream and the CPU op table (fast by default, or the plain reference).
// Must not contain op implementations.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "backend/cpu/cpu_ops.h"
#include "base/thread_pool.h"

namespace fovea::backend::cpu {

struct CpuBackendOptions {
  int num_threads = 0;         // 0: one per hardware thread
  bool reference_ops = false;  // the single-threaded reference op table instead of the fast one
  CpuOpsOptions fast;          // path choices of the fast op table
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuBackendOptions options = {});
  ~CpuBackend() override;

  Device device() const override { return Device{DeviceKind::kCpu, 0}; }
  std::string_view name() const override { return "cpu"; }
  base::Result<std::unique_ptr<Buffer>> allocate(size_t size_bytes) override;
  Stream& default_stream() override;
  base::Result<std::unique_ptr<Stream>> create_stream() override;
  base::Status synchronize(Stream& stream) override;
  base::Status copy_from_host(Stream& stream, const void* src, const Tensor& dst) override;
  base::Status copy_to_host(Stream& stream, const Tensor& src, void* dst) override;
  base::Status copy(Stream& stream, const Tensor& src, const Tensor& dst) override;
  Ops& ops() override { return *ops_; }

  // A read-only buffer over host memory that the caller keeps alive and unchanged (e.g. a mapped checkpoint), so
  // weights are used in place without a copy.
  std::unique_ptr<Buffer> wrap_host_memory(const void* data, size_t size_bytes);

 private:
  std::unique_ptr<base::ThreadPool> pool_;
  std::unique_ptr<Stream> default_stream_;
  std::unique_ptr<Ops> ops_;
};

}  // namespace fovea::backend::cpu
