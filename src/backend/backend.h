// Backend: one device's memory, streams and op table. Model code holds a Backend& and never a concrete type.
// Buffers come from allocate() before the decode loop; nothing on the per-step path allocates.
// Must not contain op implementations.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "backend/buffer.h"
#include "backend/device.h"
#include "backend/graph.h"
#include "backend/ops.h"
#include "backend/stream.h"
#include "backend/tensor.h"
#include "base/status.h"

namespace fovea::backend {

class Backend {
 public:
  virtual ~Backend() = default;
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual Device device() const = 0;
  virtual std::string_view name() const = 0;

  // size_bytes of device memory, aligned to at least 64 bytes; kResourceExhausted when it does not fit.
  virtual base::Result<std::unique_ptr<Buffer>> allocate(size_t size_bytes) = 0;

  virtual Stream& default_stream() = 0;
  virtual base::Result<std::unique_ptr<Stream>> create_stream() = 0;
  // Waits until everything enqueued on `stream` has finished.
  virtual base::Status synchronize(Stream& stream) = 0;

  // Host bytes (dst.numel() packed elements of dst's dtype) into dst, which may be a strided view.
  virtual base::Status copy_from_host(Stream& stream, const void* src, const Tensor& dst) = 0;
  // src (possibly strided) into packed host bytes. The bytes are there after synchronize(stream).
  virtual base::Status copy_to_host(Stream& stream, const Tensor& src, void* dst) = 0;
  // Device to device, same dtype and shape, either side strided.
  virtual base::Status copy(Stream& stream, const Tensor& src, const Tensor& dst) = 0;

  virtual Ops& ops() = 0;

  // Records what `record` enqueues on `stream` (nothing runs) into a Graph to replay later. `record` must only
  // enqueue work on that stream (no synchronize, no host copies, no allocation). Backends without graphs (the
  // CPU) return kUnsupported; callers then run the work directly.
  virtual base::Result<std::unique_ptr<Graph>> capture_graph(Stream& stream,
                                                             const std::function<base::Status()>& record) {
    (void)stream;
    (void)record;
    return base::unsupported("the {} backend cannot capture graphs; run the work directly", name());
  }
};

}  // namespace fovea::backend
