// CpuBackend: aligned host buffers, wrapped host memory, a stream that runs ops in the call, row-wise copies.
#include "backend/cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>

#include "backend/cpu/reference_ops.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr size_t kAlignmentBytes = 64;

class HostBuffer final : public Buffer {
 public:
  HostBuffer(void* data, size_t size_bytes, bool owned) : data_(data), size_bytes_(size_bytes), owned_(owned) {}
  ~HostBuffer() override {
    if (owned_) std::free(data_);
  }
  Device device() const override { return Device{DeviceKind::kCpu, 0}; }
  void* data() const override { return data_; }
  size_t size_bytes() const override { return size_bytes_; }
  bool read_only() const override { return !owned_; }

 private:
  void* data_;  // owned when owned_ (aligned_alloc), else the caller's
  size_t size_bytes_;
  bool owned_;
};

class CpuStream final : public Stream {
 public:
  Device device() const override { return Device{DeviceKind::kCpu, 0}; }
};

base::Status check_stream(const Stream& stream) {
  if (stream.device().kind == DeviceKind::kCpu) return base::Status();
  return base::invalid_argument("cpu backend: the stream belongs to {}; pass a CPU stream",
                                device_name(stream.device()));
}

// Calls fn(row_idx, row_bytes_ptr) for every row of a CPU view.
template <typename Fn>
void for_each_row(const Tensor& t, Fn&& fn) {
  const int64_t stride_bytes = t.stride_rows() * t.element_size_bytes();
  for (int64_t row_idx = 0; row_idx < t.num_rows(); ++row_idx) fn(row_idx, t.host_bytes() + row_idx * stride_bytes);
}

}  // namespace

CpuBackend::CpuBackend(CpuBackendOptions options)
    : pool_(std::make_unique<base::ThreadPool>(options.num_threads)), default_stream_(std::make_unique<CpuStream>()) {
  if (options.reference_ops) {
    ops_ = std::make_unique<ReferenceOps>();
  } else {
    ops_ = std::make_unique<CpuOps>(*pool_, options.fast);
  }
}

CpuBackend::~CpuBackend() = default;

base::Result<std::unique_ptr<Buffer>> CpuBackend::allocate(size_t size_bytes) {
  const size_t rounded = (std::max<size_t>(size_bytes, 1) + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
  if (rounded < size_bytes) return base::out_of_range("cpu backend: cannot allocate {} bytes", size_bytes);
  void* data = std::aligned_alloc(kAlignmentBytes, rounded);
  if (data == nullptr) {
    return base::make_error(base::StatusCode::kResourceExhausted,
                            "cpu backend: out of host memory allocating {} bytes; lower the KV cache size or "
                            "batch limits",
                            size_bytes);
  }
  return std::unique_ptr<Buffer>(std::make_unique<HostBuffer>(data, size_bytes, true));
}

std::unique_ptr<Buffer> CpuBackend::wrap_host_memory(const void* data, size_t size_bytes) {
  return std::make_unique<HostBuffer>(const_cast<void*>(data), size_bytes, false);
}

Stream& CpuBackend::default_stream() { return *default_stream_; }

base::Result<std::unique_ptr<Stream>> CpuBackend::create_stream() {
  return std::unique_ptr<Stream>(std::make_unique<CpuStream>());
}

base::Status CpuBackend::synchronize(Stream& stream) { return check_stream(stream); }

base::Status CpuBackend::copy_from_host(Stream& stream, const void* src, const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream(stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy_from_host", "dst", dst, device()));
  if (dst.buffer->read_only()) return base::invalid_argument("copy_from_host: dst lies in a read-only buffer");
  const size_t row_bytes = static_cast<size_t>(dst.row_numel() * dst.element_size_bytes());
  const auto* src_bytes = static_cast<const std::byte*>(src);
  for_each_row(dst, [&](int64_t row_idx, std::byte* row) {
    std::memcpy(row, src_bytes + static_cast<size_t>(row_idx) * row_bytes, row_bytes);
  });
  return base::Status();
}

base::Status CpuBackend::copy_to_host(Stream& stream, const Tensor& src, void* dst) {
  FOVEA_RETURN_IF_ERROR(check_stream(stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy_to_host", "src", src, device()));
  const size_t row_bytes = static_cast<size_t>(src.row_numel() * src.element_size_bytes());
  auto* dst_bytes = static_cast<std::byte*>(dst);
  for_each_row(src, [&](int64_t row_idx, std::byte* row) {
    std::memcpy(dst_bytes + static_cast<size_t>(row_idx) * row_bytes, row, row_bytes);
  });
  return base::Status();
}

base::Status CpuBackend::copy(Stream& stream, const Tensor& src, const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream(stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy", "src", src, device()));
  FOVEA_RETURN_IF_ERROR(check_view("copy", "dst", dst, device()));
  if (dst.buffer->read_only()) return base::invalid_argument("copy: dst lies in a read-only buffer");
  if (src.shape != dst.shape || src.dtype != dst.dtype) {
    return base::invalid_argument("copy: src {} {} and dst {} {} differ; convert with ops().convert instead",
                                  tensor::dtype_name(src.dtype), src.shape.to_string(), tensor::dtype_name(dst.dtype),
                                  dst.shape.to_string());
  }
  if (views_overlap(src, dst)) return base::invalid_argument("copy: src and dst overlap; pass disjoint memory");
  const size_t row_bytes = static_cast<size_t>(src.row_numel() * src.element_size_bytes());
  const int64_t src_stride_bytes = src.stride_rows() * src.element_size_bytes();
  for_each_row(dst, [&](int64_t row_idx, std::byte* row) {
    std::memcpy(row, src.host_bytes() + row_idx * src_stride_bytes, row_bytes);
  });
  return base::Status();
}

}  // namespace fovea::backend::cpu
