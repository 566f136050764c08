// Device helpers shared by the kernels: element loads and stores of every dtype (round to nearest even, FP8
// saturating at ±448 like the CPU backend), the rounding of a cast, the ranking key of top-k/argmax, block
// reductions and grid shapes. Must not contain kernels.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

__device__ __forceinline__ float fp8_e4m3_to_float(uint8_t bits) {
  const __half_raw raw = __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(bits), __NV_E4M3);
  return __half2float(__half(raw));
}

__device__ __forceinline__ uint8_t float_to_fp8_e4m3(float value) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp8(value, __NV_SATFINITE, __NV_E4M3));
}

// Element `idx` of a buffer of `type`, as float.
__device__ __forceinline__ float load_elem(const void* base, int64_t idx, ElemType type) {
  switch (type) {
    case ElemType::kF32:
      return static_cast<const float*>(base)[idx];
    case ElemType::kBF16:
      return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[idx]);
    case ElemType::kF16:
      return __half2float(static_cast<const __half*>(base)[idx]);
    case ElemType::kF8E4M3:
      return fp8_e4m3_to_float(static_cast<const uint8_t*>(base)[idx]);
    default:
      return 0.0f;
  }
}

__device__ __forceinline__ void store_elem(void* base, int64_t idx, ElemType type, float value) {
  switch (type) {
    case ElemType::kF32:
      static_cast<float*>(base)[idx] = value;
      return;
    case ElemType::kBF16:
      static_cast<__nv_bfloat16*>(base)[idx] = __float2bfloat16_rn(value);
      return;
    case ElemType::kF16:
      static_cast<__half*>(base)[idx] = __float2half_rn(value);
      return;
    case ElemType::kF8E4M3:
      static_cast<uint8_t*>(base)[idx] = float_to_fp8_e4m3(value);
      return;
    default:
      return;
  }
}

__device__ __forceinline__ float load_at(const DeviceView& v, int64_t row, int64_t col) {
  return load_elem(v.data, row * v.stride_rows + col, v.type);
}

__device__ __forceinline__ void store_at(const DeviceView& v, int64_t row, int64_t col, float value) {
  store_elem(v.data, row * v.stride_rows + col, v.type, value);
}

// What a cast of `value` to `type` and back gives.
__device__ __forceinline__ float round_to(ElemType type, float value) {
  switch (type) {
    case ElemType::kBF16:
      return __bfloat162float(__float2bfloat16_rn(value));
    case ElemType::kF16:
      return __half2float(__float2half_rn(value));
    case ElemType::kF8E4M3:
      return fp8_e4m3_to_float(float_to_fp8_e4m3(value));
    default:
      return value;
  }
}

// Typed element access for kernels templated on the storage type.
struct Fp8E4M3 {
  uint8_t bits;
};

template <typename T>
struct Elem;

template <>
struct Elem<float> {
  static constexpr bool kIsFp8 = false;
  __device__ static float load(const float* p) { return *p; }
  __device__ static void store(float* p, float value) { *p = value; }
  __device__ static float round(float value) { return value; }
};

template <>
struct Elem<__nv_bfloat16> {
  static constexpr bool kIsFp8 = false;
  __device__ static float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
  __device__ static void store(__nv_bfloat16* p, float value) { *p = __float2bfloat16_rn(value); }
  __device__ static float round(float value) { return __bfloat162float(__float2bfloat16_rn(value)); }
};

template <>
struct Elem<__half> {
  static constexpr bool kIsFp8 = false;
  __device__ static float load(const __half* p) { return __half2float(*p); }
  __device__ static void store(__half* p, float value) { *p = __float2half_rn(value); }
  __device__ static float round(float value) { return __half2float(__float2half_rn(value)); }
};

template <>
struct Elem<Fp8E4M3> {
  static constexpr bool kIsFp8 = true;
  __device__ static float load(const Fp8E4M3* p) { return fp8_e4m3_to_float(p->bits); }
  __device__ static void store(Fp8E4M3* p, float value) { p->bits = float_to_fp8_e4m3(value); }
  __device__ static float round(float value) { return fp8_e4m3_to_float(float_to_fp8_e4m3(value)); }
};

// Ranking key of top-k and argmax, larger ranks first: NaN above everything (torch), then by value with -0 == +0,
// then the lower column first. Unique per column, so selections and sorts need no tie rule of their own.
__device__ __forceinline__ uint64_t rank_key(float value, int64_t col) {
  uint32_t key = 0xffffffffu;
  if (!isnan(value)) {
    const uint32_t bits = __float_as_uint(value == 0.0f ? 0.0f : value);
    key = (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
  }
  return (static_cast<uint64_t>(key) << 32) | static_cast<uint64_t>(0xffffffffu - static_cast<uint32_t>(col));
}

__device__ __forceinline__ int64_t rank_key_col(uint64_t key) {
  return static_cast<int64_t>(0xffffffffu - static_cast<uint32_t>(key & 0xffffffffu));
}

__device__ __forceinline__ float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

__device__ __forceinline__ float warp_max(float value) {
  for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

__device__ __forceinline__ uint64_t warp_max_u64(uint64_t value) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const uint64_t other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = other > value ? other : value;
  }
  return value;
}

// Block-wide reductions; every thread of the block calls them and gets the result. `scratch` holds 32 entries.
__device__ __forceinline__ float block_sum(float value, float* scratch) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int num_warps = (blockDim.x + 31) / 32;
  value = warp_sum(value);
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  value = lane < num_warps ? scratch[lane] : 0.0f;
  return warp_sum(value);
}

__device__ __forceinline__ float block_max(float value, float* scratch) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int num_warps = (blockDim.x + 31) / 32;
  value = warp_max(value);
  __syncthreads();
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  value = lane < num_warps ? scratch[lane] : -INFINITY;
  return warp_max(value);
}

__device__ __forceinline__ uint64_t block_max_u64(uint64_t value, uint64_t* scratch) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int num_warps = (blockDim.x + 31) / 32;
  value = warp_max_u64(value);
  __syncthreads();
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  value = lane < num_warps ? scratch[lane] : 0;
  return warp_max_u64(value);
}

// Threads for one block per row of `num_cols` elements: a multiple of 32, at most `max_threads`.
inline int row_block_threads(int64_t num_cols, int max_threads) {
  int64_t threads = (num_cols + 31) / 32 * 32;
  if (threads < 32) threads = 32;
  if (threads > max_threads) threads = max_threads;
  return static_cast<int>(threads);
}

}  // namespace fovea::backend::cuda
