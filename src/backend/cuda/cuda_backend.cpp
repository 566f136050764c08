// CudaBackend: pool allocation on the legacy stream (ordered against every blocking stream), stream creation and
// synchronisation, and copies as 1-D or 2-D cudaMemcpy*Async of the views' rows.
#include "backend/cuda/cuda_backend.h"

#include <algorithm>

#include "backend/cuda/cuda_buffer.h"
#include "backend/cuda/cuda_memory_pool.h"
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_stream.h"
#include "backend/cuda/cuda_util.h"
#include "backend/cuda/device_views.h"
#include "backend/op_checks.h"

namespace fovea::backend::cuda {
namespace {

constexpr size_t kAlignmentBytes = 256;

// Copies the rows of a (possibly strided) view to or from packed memory, or between two views.
cudaError_t copy_rows(void* dst, int64_t dst_stride_bytes, const void* src, int64_t src_stride_bytes, int64_t row_bytes,
                      int64_t num_rows, cudaMemcpyKind kind, cudaStream_t stream) {
  if (row_bytes == 0 || num_rows == 0) return cudaSuccess;
  if (num_rows == 1 || (dst_stride_bytes == row_bytes && src_stride_bytes == row_bytes)) {
    return cudaMemcpyAsync(dst, src, static_cast<size_t>(row_bytes * num_rows), kind, stream);
  }
  return cudaMemcpy2DAsync(dst, static_cast<size_t>(dst_stride_bytes), src, static_cast<size_t>(src_stride_bytes),
                           static_cast<size_t>(row_bytes), static_cast<size_t>(num_rows), kind, stream);
}

// Rows of a view for copying: a packed view is one row of all its bytes.
struct RowLayout {
  int64_t row_bytes;
  int64_t stride_bytes;
  int64_t num_rows;
};

RowLayout row_layout(const Tensor& t) {
  const int64_t element_bytes = t.element_size_bytes();
  if (t.is_packed()) return {t.numel() * element_bytes, t.numel() * element_bytes, 1};
  return {t.row_numel() * element_bytes, t.stride_rows() * element_bytes, t.num_rows()};
}

}  // namespace

CudaBackend::CudaBackend(Device device, std::shared_ptr<CudaMemoryPool> pool,
                         std::unique_ptr<CudaStream> default_stream, std::unique_ptr<CudaOps> ops)
    : device_(device), pool_(std::move(pool)), ops_(std::move(ops)), default_stream_(std::move(default_stream)) {}

CudaBackend::~CudaBackend() = default;

base::Result<std::unique_ptr<CudaBackend>> CudaBackend::create(int device_index) {
  FOVEA_ASSIGN_OR_RETURN(std::shared_ptr<CudaMemoryPool> pool, CudaMemoryPool::create(device_index));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CudaStream> stream, CudaStream::create(pool));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CudaOps> ops, CudaOps::create(device_index));
  return std::unique_ptr<CudaBackend>(
      new CudaBackend(Device{DeviceKind::kCuda, device_index}, std::move(pool), std::move(stream), std::move(ops)));
}

base::Result<std::unique_ptr<Buffer>> CudaBackend::allocate(size_t size_bytes) {
  const size_t rounded = (std::max<size_t>(size_bytes, 1) + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
  if (rounded < size_bytes) return base::out_of_range("cuda backend: cannot allocate {} bytes", size_bytes);
  FOVEA_ASSIGN_OR_RETURN(void* data, pool_->allocate(rounded, cudaStreamLegacy));
  return std::unique_ptr<Buffer>(std::make_unique<CudaBuffer>(pool_, data, size_bytes));
}

Stream& CudaBackend::default_stream() { return *default_stream_; }

Ops& CudaBackend::ops() { return *ops_; }

base::Result<std::unique_ptr<Stream>> CudaBackend::create_stream() {
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CudaStream> stream, CudaStream::create(pool_));
  return std::unique_ptr<Stream>(std::move(stream));
}

base::Status CudaBackend::check_stream(std::string_view op, const Stream& stream) const {
  FOVEA_RETURN_IF_ERROR(backend::check_stream(op, stream, device_));
  return use_device(device_.index);
}

base::Status CudaBackend::synchronize(Stream& stream) {
  FOVEA_RETURN_IF_ERROR(check_stream("synchronize", stream));
  return cuda_status(cudaStreamSynchronize(static_cast<CudaStream&>(stream).handle()), "running the enqueued work");
}

base::Status CudaBackend::copy_from_host(Stream& stream, const void* src, const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream("copy_from_host", stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy_from_host", "dst", dst, device_));
  const RowLayout layout = row_layout(dst);
  return cuda_status(copy_rows(device_address(dst), layout.stride_bytes, src, layout.row_bytes, layout.row_bytes,
                               layout.num_rows, cudaMemcpyHostToDevice, static_cast<CudaStream&>(stream).handle()),
                     "copy_from_host");
}

base::Status CudaBackend::copy_to_host(Stream& stream, const Tensor& src, void* dst) {
  FOVEA_RETURN_IF_ERROR(check_stream("copy_to_host", stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy_to_host", "src", src, device_));
  const RowLayout layout = row_layout(src);
  return cuda_status(copy_rows(dst, layout.row_bytes, device_address(src), layout.stride_bytes, layout.row_bytes,
                               layout.num_rows, cudaMemcpyDeviceToHost, static_cast<CudaStream&>(stream).handle()),
                     "copy_to_host");
}

base::Status CudaBackend::copy(Stream& stream, const Tensor& src, const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream("copy", stream));
  FOVEA_RETURN_IF_ERROR(check_view("copy", "src", src, device_));
  FOVEA_RETURN_IF_ERROR(check_view("copy", "dst", dst, device_));
  if (src.shape != dst.shape || src.dtype != dst.dtype) {
    return base::invalid_argument("copy: src {} {} and dst {} {} differ; convert with ops().convert instead",
                                  tensor::dtype_name(src.dtype), src.shape.to_string(), tensor::dtype_name(dst.dtype),
                                  dst.shape.to_string());
  }
  if (views_overlap(src, dst)) return base::invalid_argument("copy: src and dst overlap; pass disjoint memory");
  // Both views share the row structure of their common shape; packed ones may be copied as one row.
  RowLayout src_layout = row_layout(src);
  RowLayout dst_layout = row_layout(dst);
  if (src_layout.num_rows != dst_layout.num_rows) {
    const int64_t element_bytes = src.element_size_bytes();
    src_layout = {src.row_numel() * element_bytes, src.stride_rows() * element_bytes, src.num_rows()};
    dst_layout = {dst.row_numel() * element_bytes, dst.stride_rows() * element_bytes, dst.num_rows()};
  }
  return cuda_status(copy_rows(device_address(dst), dst_layout.stride_bytes, device_address(src),
                               src_layout.stride_bytes, src_layout.row_bytes, src_layout.num_rows,
                               cudaMemcpyDeviceToDevice, static_cast<CudaStream&>(stream).handle()),
                     "copy");
}

int64_t CudaBackend::num_scratch_growths(const Stream& stream) {
  if (stream.device().kind != DeviceKind::kCuda) return 0;
  return static_cast<const CudaStream&>(stream).num_scratch_growths();
}

size_t CudaBackend::reserved_bytes() const { return pool_->reserved_bytes(); }

}  // namespace fovea::backend::cuda
