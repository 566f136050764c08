// Linear kernels besides cuBLASLt: a tiled fp32 SIMT GEMM for the dtype mixes cuBLASLt has no kernel for (x and W
// of different dtypes; 64x64 output tiles, 16-deep K tiles through shared memory, bias fused), and the epilogue
// that adds the bias to a cuBLASLt fp32 product (or writes the bias alone when K == 0) and rounds once.
// Must not contain validation or cuBLASLt calls.
#include <cstdint>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;
constexpr int kThreads = 256;
constexpr int kPerThread = 4;  // outputs per thread along M and along N

__global__ void __launch_bounds__(kThreads) linear_simt_kernel(LinearArgs a) {
  __shared__ float x_s[kTileK][kTileM + 1];
  __shared__ float w_s[kTileK][kTileN + 1];
  const int tid = threadIdx.x;
  const int tx = tid % 16;
  const int ty = tid / 16;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTileM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTileN;
  float acc[kPerThread][kPerThread];
#pragma unroll
  for (int i = 0; i < kPerThread; ++i) {
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) acc[i][j] = 0.0f;
  }
  for (int64_t k0 = 0; k0 < a.k; k0 += kTileK) {
    for (int e = tid; e < kTileM * kTileK; e += kThreads) {
      const int r = e / kTileK;
      const int kk = e % kTileK;
      const int64_t k = k0 + kk;
      const int64_t m = m0 + r;
      const int64_t n = n0 + r;
      x_s[kk][r] = m < a.m && k < a.k ? load_at(a.x, m, k) : 0.0f;
      w_s[kk][r] = n < a.n && k < a.k ? load_at(a.w, n, k) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float x_values[kPerThread];
      float w_values[kPerThread];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
        x_values[i] = x_s[kk][ty + 16 * i];
        w_values[i] = w_s[kk][tx + 16 * i];
      }
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) acc[i][j] += x_values[i] * w_values[j];
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < kPerThread; ++i) {
    const int64_t m = m0 + ty + 16 * i;
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (m < a.m && n < a.n) {
        float value = acc[i][j];
        if (a.bias != nullptr) value = __fadd_rn(value, load_elem(a.bias, n, a.bias_type));
        store_at(a.y, m, n, value);
      }
    }
  }
}

__global__ void linear_epilogue_kernel(LinearArgs a, const float* acc) {
  for (int64_t m = blockIdx.y; m < a.m; m += gridDim.y) {
    for (int64_t n = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; n < a.n;
         n += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      float value = acc != nullptr ? acc[m * a.n + n] : 0.0f;
      if (a.bias != nullptr) value = __fadd_rn(value, load_elem(a.bias, n, a.bias_type));
      store_at(a.y, m, n, value);
    }
  }
}

}  // namespace

cudaError_t launch_linear_simt(const LinearArgs& args, cudaStream_t stream) {
  if (args.m == 0 || args.n == 0) return cudaSuccess;
  const int64_t blocks_m = (args.m + kTileM - 1) / kTileM;
  const int64_t blocks_n = (args.n + kTileN - 1) / kTileN;
  if (blocks_m > 65535 || blocks_n > 0x7fffffff) return cudaErrorInvalidConfiguration;
  linear_simt_kernel<<<dim3(static_cast<unsigned>(blocks_n), static_cast<unsigned>(blocks_m)), kThreads, 0, stream>>>(
      args);
  return cudaGetLastError();
}

cudaError_t launch_linear_epilogue(const LinearArgs& args, const float* acc, cudaStream_t stream) {
  if (args.m == 0 || args.n == 0) return cudaSuccess;
  int64_t blocks_x = (args.n + 255) / 256;
  if (blocks_x > 4096) blocks_x = 4096;
  const int64_t blocks_y = args.m < 65535 ? args.m : 65535;
  linear_epilogue_kernel<<<dim3(static_cast<unsigned>(blocks_x), static_cast<unsigned>(blocks_y)), 256, 0, stream>>>(
      args, acc);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
