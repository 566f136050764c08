// RMSNorm and LayerNorm kernels: one block per normalised vector, fp32 sums, HF rounding (rms_norm rounds the
// normalised value to x's dtype before the weight, layer_norm rounds once). Each thread rereads and writes only
// its own elements after the reduction, so out may be x. Must not contain validation.
#include <cstdint>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"
#include "backend/cuda/vector_kernels.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kMaxThreads = 512;

// Start (in elements, from x.data) of vector `vector_idx` when each row of x holds row_numel / dim vectors.
__device__ __forceinline__ int64_t vector_start(const DeviceView& v, int64_t vector_idx, int64_t dim) {
  const int64_t per_row = v.row_numel / dim;
  return (vector_idx / per_row) * v.stride_rows + (vector_idx % per_row) * dim;
}

__global__ void rms_norm_kernel(DeviceView x, DeviceView weight, float eps, int64_t dim, DeviceView out) {
  __shared__ float scratch[32];
  const int64_t vector_idx = blockIdx.x;
  const int64_t x_start = vector_start(x, vector_idx, dim);
  const int64_t out_start = vector_start(out, vector_idx, dim);
  float sum_squares = 0.0f;
  for (int64_t idx = threadIdx.x; idx < dim; idx += blockDim.x) {
    const float value = load_elem(x.data, x_start + idx, x.type);
    sum_squares += value * value;
  }
  sum_squares = block_sum(sum_squares, scratch);
  const float mean_square = __fdiv_rn(sum_squares, static_cast<float>(dim));
  // The reference takes 1 / sqrt in fp64 of the fp32 mean + eps.
  const float inv_rms = static_cast<float>(1.0 / sqrt(static_cast<double>(__fadd_rn(mean_square, eps))));
  for (int64_t idx = threadIdx.x; idx < dim; idx += blockDim.x) {
    const float normed = round_to(x.type, __fmul_rn(load_elem(x.data, x_start + idx, x.type), inv_rms));
    store_elem(out.data, out_start + idx, out.type, __fmul_rn(load_elem(weight.data, idx, weight.type), normed));
  }
}

__global__ void layer_norm_kernel(DeviceView x, DeviceView weight, DeviceView bias, float eps, DeviceView out) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const int64_t dim = x.row_numel;
  float sum = 0.0f;
  for (int64_t idx = threadIdx.x; idx < dim; idx += blockDim.x) sum += load_at(x, row, idx);
  const float mean = block_sum(sum, scratch) / static_cast<float>(dim);
  float sum_squares = 0.0f;
  for (int64_t idx = threadIdx.x; idx < dim; idx += blockDim.x) {
    const float centered = load_at(x, row, idx) - mean;
    sum_squares += centered * centered;
  }
  const float variance = block_sum(sum_squares, scratch) / static_cast<float>(dim);
  const float inv_std = static_cast<float>(1.0 / sqrt(static_cast<double>(variance) + static_cast<double>(eps)));
  for (int64_t idx = threadIdx.x; idx < dim; idx += blockDim.x) {
    const float normed = (load_at(x, row, idx) - mean) * inv_std;
    store_at(out, row, idx, normed * load_elem(weight.data, idx, weight.type) + load_elem(bias.data, idx, bias.type));
  }
}

}  // namespace

cudaError_t launch_rms_norm(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                            const DeviceView& out, cudaStream_t stream) {
  const int64_t num_vectors = x.num_rows * (x.row_numel / dim);
  if (num_vectors == 0 || dim == 0) return cudaSuccess;
  if (dim % 8 == 0 && dim <= 8192 && vector_view_ok(x) && vector_view_ok(out) && vector_view_ok(weight) &&
      out.type == x.type && weight.type == x.type) {
    return launch_rms_norm_vector(x, weight, eps, dim, out, stream);
  }
  rms_norm_kernel<<<static_cast<unsigned>(num_vectors), row_block_threads(dim, kMaxThreads), 0, stream>>>(
      x, weight, eps, dim, out);
  return cudaGetLastError();
}

cudaError_t launch_layer_norm(const DeviceView& x, const DeviceView& weight, const DeviceView& bias, float eps,
                              const DeviceView& out, cudaStream_t stream) {
  if (x.num_rows == 0 || x.row_numel == 0) return cudaSuccess;
  layer_norm_kernel<<<static_cast<unsigned>(x.num_rows), row_block_threads(x.row_numel, kMaxThreads), 0, stream>>>(
      x, weight, bias, eps, out);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
