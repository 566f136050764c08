// Quantized-linear kernels: the fused GEMV (codes read once, dequantised in registers, fp32 sums; x staged in
// shared memory as fp32 in packed-column order), its split-K reduction, and the row dequantisation and x gather
// that feed cuBLASLt for larger batches. Every weight equals the CPU's dequantize_element bit for bit: the packed
// bf16x2/half2 paths are used only where the 16-bit arithmetic rounds exactly like round_to(dequant dtype, code *
// scale) (exact code and scale), everything else takes the element formula. Must not contain validation.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <cstring>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/quant_kernels.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRowsPerWarp = 4;
static_assert(kWarps * kRowsPerWarp == kQuantGemvRowsPerBlock, "a GEMV block covers kQuantGemvRowsPerBlock rows");
constexpr int kStagedFloats = 8192;  // staged x values per block (32 KiB): columns per pass times the row bucket

template <QuantFormat F>
constexpr int kColsPerWord = F == QuantFormat::kInt4 ? 8 : 4;

__device__ __forceinline__ int zero_of(const QuantWeightArgs& w, int64_t row, int64_t group) {
  if (w.zeros == nullptr) return w.format == QuantFormat::kInt4 ? 8 : 128;
  return w.zeros[row * w.zero_stride + group];
}

__device__ __forceinline__ float scale_of(const QuantWeightArgs& w, int64_t row, int64_t group) {
  return w.scales[(row / w.scale_block_rows) * w.scale_stride + group];
}

// A small integer (|v| < 2^22) as float without the int-to-float unit: 1.5 * 2^23 + v has v in its low bits.
__device__ __forceinline__ float small_int_to_float(int value) {
  return __fsub_rn(__int_as_float(0x4b400000 + value), 12582912.0f);
}

// Element (row, col) of the dequantised matrix: weight.h's formula, as the CPU's dequantize_element. Not inlined:
// the kernels call it only for words at the end of a row or across a group boundary.
__device__ __noinline__ float dequantize_element(const QuantWeightArgs& w, int64_t row, int64_t col) {
  const int64_t group = col / w.group_size;
  const float scale = scale_of(w, row, group);
  const uint8_t* codes = w.values + row * w.row_stride_bytes;
  float code = 0.0f;
  if (w.format == QuantFormat::kFp8) {
    code = fp8_e4m3_to_float(codes[col]);
  } else {
    int unsigned_code = 0;
    if (w.format == QuantFormat::kInt4) {
      const uint32_t word = reinterpret_cast<const uint32_t*>(codes)[col / 8];
      unsigned_code = static_cast<int>((word >> (4 * (col % 8))) & 0xfu);
    } else {
      unsigned_code = codes[col];
    }
    code = small_int_to_float(unsigned_code - zero_of(w, row, group));
  }
  return round_to(w.dequant_type, __fmul_rn(code, scale));
}

template <typename T>
__device__ __forceinline__ T from_bits(uint32_t bits) {
  T value;
  memcpy(&value, &bits, sizeof(bits));
  return value;
}

template <typename T>
__device__ __forceinline__ uint32_t to_bits(T value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// Rounds two fp32 values to the dequant dtype (one conversion instruction for both).
__device__ __forceinline__ void round_pair(ElemType type, float& a, float& b) {
  if (type == ElemType::kBF16) {
    const uint32_t bits = to_bits(__floats2bfloat162_rn(a, b));
    a = __uint_as_float(bits << 16);
    b = __uint_as_float(bits & 0xffff0000u);
  } else if (type == ElemType::kF16) {
    const float2 pair = __half22float2(__floats2half2_rn(a, b));
    a = pair.x;
    b = pair.y;
  }
}

// The eight columns of one int4 word of one group; out[j] is packed column 8 * word + j.
__device__ __forceinline__ void dequantize_int4_word(uint32_t word, int zero, float scale, ElemType type,
                                                     float (&out)[8]) {
  // (128 + u) - (128 + z) is exact in bf16 for z < 128, and so is a bf16 scale: the bf16x2 product is then
  // round_to(bf16, (u - z) * scale) with its single rounding. Likewise with 1024 + u in f16.
  if (type == ElemType::kBF16 && zero < 128 && __bfloat162float(__float2bfloat16_rn(scale)) == scale) {
    const __nv_bfloat162 offset = __float2bfloat162_rn(128.0f + static_cast<float>(zero));
    const __nv_bfloat162 scale2 = __float2bfloat162_rn(scale);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t biased = ((word >> (4 * j)) & 0x000f000fu) | 0x43004300u;
      const uint32_t bits = to_bits(__hmul2(__hsub2(from_bits<__nv_bfloat162>(biased), offset), scale2));
      out[j] = __uint_as_float(bits << 16);
      out[j + 4] = __uint_as_float(bits & 0xffff0000u);
    }
    return;
  }
  if (type == ElemType::kF16 && __half2float(__float2half_rn(scale)) == scale) {
    const __half2 offset = __float2half2_rn(1024.0f + static_cast<float>(zero));
    const __half2 scale2 = __float2half2_rn(scale);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t biased = ((word >> (4 * j)) & 0x000f000fu) | 0x64006400u;
      const float2 pair = __half22float2(__hmul2(__hsub2(from_bits<__half2>(biased), offset), scale2));
      out[j] = pair.x;
      out[j + 4] = pair.y;
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    out[j] = __fmul_rn(small_int_to_float(static_cast<int>((word >> (4 * j)) & 0xfu) - zero), scale);
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) round_pair(type, out[2 * j], out[2 * j + 1]);
}

// The four columns of one int8 or fp8 word of one group.
template <QuantFormat F>
__device__ __forceinline__ void dequantize_byte_word(uint32_t word, int zero, float scale, ElemType type,
                                                     float (&out)[4]) {
  if constexpr (F == QuantFormat::kFp8) {
    const float2 low = __half22float2(__half2(__nv_cvt_fp8x2_to_halfraw2(
        static_cast<__nv_fp8x2_storage_t>(word & 0xffffu), __NV_E4M3)));
    const float2 high = __half22float2(__half2(__nv_cvt_fp8x2_to_halfraw2(
        static_cast<__nv_fp8x2_storage_t>(word >> 16), __NV_E4M3)));
    out[0] = __fmul_rn(low.x, scale);
    out[1] = __fmul_rn(low.y, scale);
    out[2] = __fmul_rn(high.x, scale);
    out[3] = __fmul_rn(high.y, scale);
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      out[j] = __fmul_rn(small_int_to_float(static_cast<int>((word >> (8 * j)) & 0xffu) - zero), scale);
    }
  }
  round_pair(type, out[0], out[1]);
  round_pair(type, out[2], out[3]);
}

// The 32-bit word of codes that holds packed columns [col, col + kColsPerWord) of `row`. int4 rows are i32 words;
// int8/fp8 rows that are not word-aligned, or a word that runs past K, are read byte by byte (zeros past K).
template <QuantFormat F>
__device__ __forceinline__ uint32_t load_word(const QuantWeightArgs& w, int64_t row, int64_t col) {
  const uint8_t* codes = w.values + row * w.row_stride_bytes;
  if constexpr (F == QuantFormat::kInt4) {
    return __ldg(reinterpret_cast<const uint32_t*>(codes) + col / 8);
  } else {
    if (w.aligned_words && col + 4 <= w.num_in) return __ldg(reinterpret_cast<const uint32_t*>(codes + col));
    uint32_t word = 0;
    for (int j = 0; j < 4; ++j) {
      if (col + j < w.num_in) word |= static_cast<uint32_t>(codes[col + j]) << (8 * j);
    }
    return word;
  }
}

// The columns of one word that lies inside group `group` of `row`; scale_offset is (row / scale_block_rows) *
// scale_stride, computed once per row (64-bit divisions per word would dominate the kernel).
template <QuantFormat F>
__device__ __forceinline__ void dequantize_word(const QuantWeightArgs& w, uint32_t word, int64_t row,
                                                int64_t scale_offset, uint32_t group,
                                                float (&out)[kColsPerWord<F>]) {
  const float scale = w.scales[scale_offset + group];
  int zero = 0;
  if constexpr (F != QuantFormat::kFp8) {
    zero = w.zeros != nullptr ? w.zeros[row * w.zero_stride + group] : (F == QuantFormat::kInt4 ? 8 : 128);
  }
  if constexpr (F == QuantFormat::kInt4) {
    dequantize_int4_word(word, zero, scale, w.dequant_type, out);
  } else {
    dequantize_byte_word<F>(word, zero, scale, w.dequant_type, out);
  }
}

// x[m, column_order[k]] (or x[m, k]) as fp32; NaN for an order entry outside [0, K).
__device__ __forceinline__ float gathered_x(const DeviceView& x, const int32_t* column_order, int64_t m, int64_t k) {
  int64_t source = k;
  if (column_order != nullptr) {
    source = column_order[k];
    if (source < 0 || source >= x.row_numel) return __int_as_float(0x7fc00000);
  }
  return load_at(x, m, source);
}

// One block: 32 weight rows (4 per warp), MB x rows. Per pass the block stages kStagedFloats / MB columns of x;
// each lane then reads kWordsPerLane words of each of its warp's rows per step (all loads issued before the math),
// dequantises them in registers and accumulates against every x row.
template <QuantFormat F, int MB>
__global__ void __launch_bounds__(kThreads) quant_gemv_kernel(QuantGemvArgs a) {
  constexpr int kCols = kColsPerWord<F>;
  constexpr int kWordsPerLane = MB <= 2 ? 4 : 2;
  constexpr int kChunk = kStagedFloats / MB;
  static_assert(kChunk % (32 * kWordsPerLane * kCols) == 0, "a pass holds whole steps");
  static_assert(kQuantGemvSplitAlign % kCols == 0, "splits start on word boundaries");
  extern __shared__ float4 x_staged_raw[];  // [MB][kChunk] fp32, 16-byte aligned for vector reads
  float* x_staged = reinterpret_cast<float*>(x_staged_raw);
  const QuantWeightArgs& w = a.w;
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int warp = static_cast<int>(threadIdx.x / 32);
  const int64_t row_begin = static_cast<int64_t>(blockIdx.x) * kQuantGemvRowsPerBlock + warp * kRowsPerWarp;
  const int64_t split_begin = static_cast<int64_t>(blockIdx.y) * a.split_cols;
  const int64_t split_end = split_begin + a.split_cols < w.num_in ? split_begin + a.split_cols : w.num_in;
  float acc[kRowsPerWarp][MB];
  int64_t scale_offset[kRowsPerWarp];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    scale_offset[r] = (row_begin + r) / w.scale_block_rows * w.scale_stride;
#pragma unroll
    for (int m = 0; m < MB; ++m) acc[r][m] = 0.0f;
  }
  for (int64_t chunk_begin = split_begin; chunk_begin < split_end; chunk_begin += kChunk) {
    const int chunk_cols = static_cast<int>(split_end - chunk_begin < kChunk ? split_end - chunk_begin : kChunk);
    __syncthreads();  // the previous pass's reads of x_staged are done
    for (int idx = static_cast<int>(threadIdx.x); idx < MB * kChunk; idx += kThreads) {
      const int m = idx / kChunk;
      const int kk = idx % kChunk;
      x_staged[idx] = m < a.m && kk < chunk_cols ? gathered_x(a.x, w.column_order, m, chunk_begin + kk) : 0.0f;
    }
    __syncthreads();
    const int num_words = (chunk_cols + kCols - 1) / kCols;
    for (int word_base = 0; word_base < num_words; word_base += 32 * kWordsPerLane) {
      uint32_t words[kWordsPerLane][kRowsPerWarp];
#pragma unroll
      for (int u = 0; u < kWordsPerLane; ++u) {
        const int word_idx = word_base + u * 32 + lane;
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
          const int64_t row = row_begin + r;
          words[u][r] = word_idx < num_words && row < w.num_out
                            ? load_word<F>(w, row, chunk_begin + static_cast<int64_t>(word_idx) * kCols)
                            : 0u;
        }
      }
#pragma unroll
      for (int u = 0; u < kWordsPerLane; ++u) {
        const int word_idx = word_base + u * 32 + lane;
        if (word_idx >= num_words) break;
        const int local_col = word_idx * kCols;
        const int64_t col = chunk_begin + local_col;
        float xv[MB][kCols];
#pragma unroll
        for (int m = 0; m < MB; ++m) {
#pragma unroll
          for (int q = 0; q < kCols / 4; ++q) {
            const float4 four = reinterpret_cast<const float4*>(x_staged)[(m * kChunk + local_col) / 4 + q];
            xv[m][4 * q] = four.x;
            xv[m][4 * q + 1] = four.y;
            xv[m][4 * q + 2] = four.z;
            xv[m][4 * q + 3] = four.w;
          }
        }
        const bool whole_word = col + kCols <= w.num_in && w.word_in_one_group;
        const uint32_t group = static_cast<uint32_t>(col) / static_cast<uint32_t>(w.group_size);
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
          const int64_t row = row_begin + r;
          if (row >= w.num_out) break;
          float values[kCols];
          if (whole_word) {
            dequantize_word<F>(w, words[u][r], row, scale_offset[r], group, values);
          } else {
#pragma unroll
            for (int j = 0; j < kCols; ++j) values[j] = col + j < w.num_in ? dequantize_element(w, row, col + j) : 0.0f;
          }
#pragma unroll
          for (int m = 0; m < MB; ++m) {
#pragma unroll
            for (int j = 0; j < kCols; ++j) acc[r][m] = fmaf(values[j], xv[m][j], acc[r][m]);
          }
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
#pragma unroll
    for (int m = 0; m < MB; ++m) {
      const float total = warp_sum(acc[r][m]);
      const int64_t row = row_begin + r;
      if (lane != (r * MB + m) % 32 || m >= a.m || row >= w.num_out) continue;
      if (a.num_splits > 1) {
        a.partial[(static_cast<int64_t>(blockIdx.y) * a.m + m) * w.num_out + row] = total;
      } else {
        const float value = a.bias != nullptr ? __fadd_rn(total, load_elem(a.bias, row, a.bias_type)) : total;
        store_at(a.y, m, row, value);
      }
    }
  }
}

// y[m, n] = sum over splits (in split order) of partial[s, m, n] (+ bias), one rounding.
__global__ void quant_gemv_reduce_kernel(QuantGemvArgs a) {
  const int64_t num_out = a.w.num_out;
  const int64_t total = a.m * num_out;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = idx / num_out;
    const int64_t n = idx % num_out;
    float value = 0.0f;
    for (int split = 0; split < a.num_splits; ++split) value += a.partial[(split * a.m + m) * num_out + n];
    if (a.bias != nullptr) value = __fadd_rn(value, load_elem(a.bias, n, a.bias_type));
    store_at(a.y, m, n, value);
  }
}

// A thread per word of codes: the GEMV's word dequantisation, then its columns stored in out's type.
template <QuantFormat F>
__global__ void quant_dequantize_kernel(QuantWeightArgs w, int64_t row_begin, DeviceView out) {
  constexpr int kCols = kColsPerWord<F>;
  const int64_t num_words = (w.num_in + kCols - 1) / kCols;
  for (int64_t r = blockIdx.y; r < out.num_rows; r += gridDim.y) {
    const int64_t row = row_begin + r;
    const int64_t scale_offset = row / w.scale_block_rows * w.scale_stride;
    for (int64_t word_idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; word_idx < num_words;
         word_idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      const int64_t col = word_idx * kCols;
      if (col + kCols <= w.num_in && w.word_in_one_group) {
        float values[kCols];
        const uint32_t group = static_cast<uint32_t>(col) / static_cast<uint32_t>(w.group_size);
        dequantize_word<F>(w, load_word<F>(w, row, col), row, scale_offset, group, values);
#pragma unroll
        for (int j = 0; j < kCols; ++j) store_at(out, r, col + j, values[j]);
      } else {
        for (int64_t k = col; k < col + kCols && k < w.num_in; ++k) store_at(out, r, k, dequantize_element(w, row, k));
      }
    }
  }
}

__global__ void quant_gather_x_kernel(DeviceView x, const int32_t* column_order, DeviceView out) {
  for (int64_t m = blockIdx.y; m < out.num_rows; m += gridDim.y) {
    for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < out.row_numel;
         k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      store_at(out, m, k, gathered_x(x, column_order, m, k));
    }
  }
}

template <QuantFormat F, int MB>
cudaError_t launch_gemv_bucket(const QuantGemvArgs& a, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.w.num_out + kQuantGemvRowsPerBlock - 1) / kQuantGemvRowsPerBlock),
                  static_cast<unsigned>(a.num_splits));
  quant_gemv_kernel<F, MB><<<grid, kThreads, kStagedFloats * sizeof(float), stream>>>(a);
  return cudaGetLastError();
}

template <QuantFormat F>
cudaError_t launch_gemv_format(const QuantGemvArgs& a, cudaStream_t stream) {
  if (a.m <= 1) return launch_gemv_bucket<F, 1>(a, stream);
  if (a.m <= 2) return launch_gemv_bucket<F, 2>(a, stream);
  if (a.m <= 4) return launch_gemv_bucket<F, 4>(a, stream);
  return launch_gemv_bucket<F, 8>(a, stream);
}

// Grid of a (rows x columns) grid-stride kernel with 256 threads per block.
dim3 rows_by_columns_grid(int64_t num_rows, int64_t num_cols) {
  int64_t blocks_x = (num_cols + 255) / 256;
  if (blocks_x > 1024) blocks_x = 1024;
  if (blocks_x < 1) blocks_x = 1;
  const int64_t blocks_y = num_rows < 65535 ? num_rows : 65535;
  return dim3(static_cast<unsigned>(blocks_x), static_cast<unsigned>(blocks_y));
}

}  // namespace

cudaError_t launch_quant_gemv(const QuantGemvArgs& args, cudaStream_t stream) {
  if (args.m < 1 || args.m > kQuantGemvMaxRows || args.num_splits < 1 || args.num_splits > 65535) {
    return cudaErrorInvalidValue;
  }
  if (args.w.num_out == 0) return cudaSuccess;
  cudaError_t error = cudaSuccess;
  switch (args.w.format) {
    case QuantFormat::kInt4:
      error = launch_gemv_format<QuantFormat::kInt4>(args, stream);
      break;
    case QuantFormat::kInt8:
      error = launch_gemv_format<QuantFormat::kInt8>(args, stream);
      break;
    case QuantFormat::kFp8:
      error = launch_gemv_format<QuantFormat::kFp8>(args, stream);
      break;
  }
  if (error != cudaSuccess || args.num_splits == 1) return error;
  int64_t blocks = (args.m * args.w.num_out + 255) / 256;
  if (blocks > 4096) blocks = 4096;
  quant_gemv_reduce_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(args);
  return cudaGetLastError();
}

cudaError_t launch_quant_dequantize(const QuantWeightArgs& w, int64_t row_begin, const DeviceView& out,
                                    cudaStream_t stream) {
  if (out.num_rows == 0 || w.num_in == 0) return cudaSuccess;
  const dim3 grid = rows_by_columns_grid(out.num_rows, (w.num_in + 3) / 4);
  switch (w.format) {
    case QuantFormat::kInt4:
      quant_dequantize_kernel<QuantFormat::kInt4><<<grid, 256, 0, stream>>>(w, row_begin, out);
      break;
    case QuantFormat::kInt8:
      quant_dequantize_kernel<QuantFormat::kInt8><<<grid, 256, 0, stream>>>(w, row_begin, out);
      break;
    case QuantFormat::kFp8:
      quant_dequantize_kernel<QuantFormat::kFp8><<<grid, 256, 0, stream>>>(w, row_begin, out);
      break;
  }
  return cudaGetLastError();
}

cudaError_t launch_quant_gather_x(const DeviceView& x, const int32_t* column_order, const DeviceView& out,
                                  cudaStream_t stream) {
  if (out.num_rows == 0 || out.row_numel == 0) return cudaSuccess;
  quant_gather_x_kernel<<<rows_by_columns_grid(out.num_rows, out.row_numel), 256, 0, stream>>>(x, column_order,
                                                                                               out);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
