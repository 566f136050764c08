// Row reductions over the vocabulary: softmax / log-softmax (max, sum of exponentials, then the f32 output, one
// block per row) and argmax (the largest ranking key of each row: NaN first, then the first index of the maximum).
// Must not contain validation.
#include <cstdint>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kMaxThreads = 1024;

__global__ void softmax_kernel(DeviceView x, bool log, DeviceView out) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const int64_t num_cols = x.row_numel;
  float max_value = -INFINITY;
  for (int64_t col = threadIdx.x; col < num_cols; col += blockDim.x) {
    const float value = load_at(x, row, col);
    if (value > max_value) max_value = value;  // a NaN is skipped here and spreads through the sum, as in torch
  }
  max_value = block_max(max_value, scratch);
  float sum = 0.0f;
  for (int64_t col = threadIdx.x; col < num_cols; col += blockDim.x) sum += expf(load_at(x, row, col) - max_value);
  sum = block_sum(sum, scratch);
  // All reads of this row are done (block_sum synchronised), so out may be x.
  const float log_sum = logf(sum);
  for (int64_t col = threadIdx.x; col < num_cols; col += blockDim.x) {
    const float shifted = load_at(x, row, col) - max_value;
    store_at(out, row, col, log ? shifted - log_sum : expf(shifted) / sum);
  }
}

__global__ void argmax_kernel(DeviceView x, int32_t* out) {
  __shared__ uint64_t scratch[32];
  const int64_t row = blockIdx.x;
  uint64_t best = 0;
  for (int64_t col = threadIdx.x; col < x.row_numel; col += blockDim.x) {
    const uint64_t key = rank_key(load_at(x, row, col), col);
    if (key > best) best = key;
  }
  best = block_max_u64(best, scratch);
  if (threadIdx.x == 0) out[row] = static_cast<int32_t>(rank_key_col(best));
}

}  // namespace

cudaError_t launch_softmax(const DeviceView& x, bool log, const DeviceView& out, cudaStream_t stream) {
  if (x.num_rows == 0 || x.row_numel == 0) return cudaSuccess;
  softmax_kernel<<<static_cast<unsigned>(x.num_rows), row_block_threads(x.row_numel, kMaxThreads), 0, stream>>>(x, log,
                                                                                                                out);
  return cudaGetLastError();
}

cudaError_t launch_argmax(const DeviceView& x, int32_t* out, cudaStream_t stream) {
  if (x.num_rows == 0) return cudaSuccess;
  argmax_kernel<<<static_cast<unsigned>(x.num_rows), row_block_threads(x.row_numel, kMaxThreads), 0, stream>>>(x, out);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
