// Argument structs and launchers of the int4 tensor-core linear (int4_mma_kernels.cu): W4A16 with bf16 activations
// and bf16-rounded dequantised weights, read straight from backend::Weight's int4 layout ([N, K/8] i32 words, f32
// scales and u8 zero points per row and group), for up to kInt4MmaMaxRows x rows per launch; its split-K reduction;
// the one-launch decode kernel for up to 16 rows; and the 16-byte int4 -> bf16 dequantisation that feeds cuBLASLt
// for prefill. Plain data shared by both compilers.
// Must not contain validation, scratch management or CUDA types beyond cudaStream_t / cudaError_t.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

constexpr int kInt4MmaMaxRows = 64;     // x rows per launch (8 mma n-fragments of 8 tokens)
constexpr int64_t kInt4MmaTileK = 128;  // packed columns per k tile: K and the group size are multiples of it

// One int4 weight and one pass of at most kInt4MmaMaxRows x rows. Every pointer is 16-byte aligned and every row
// stride keeps rows 16-byte aligned (quant_linear.cpp checks, or gathers x into scratch first).
struct Int4MmaArgs {
  const uint32_t* codes = nullptr;  // [N, K/8] words: nibble i of word j is packed column 8j + i (not owned)
  int64_t code_stride_words = 0;
  const float* scales = nullptr;  // [N, K / group_size] f32, bf16-exact for the fast path (not owned)
  int64_t scale_stride = 0;
  const uint8_t* zeros = nullptr;  // [N, K / group_size] u8; null: symmetric (zero point 8)
  int64_t zero_stride = 0;
  int64_t tiles_per_group = 1;        // group_size / kInt4MmaTileK
  const void* x = nullptr;            // [m, K] bf16 in packed-column order
  int64_t x_stride = 0;               // elements between x rows, a multiple of 8
  uint4* x_fragments = nullptr;       // int4_mma_fragment_bytes(m, K) scratch: x in mma fragment order (written first)
  void* y = nullptr;                  // [m, N] y_type
  int64_t y_stride = 0;               // elements between y rows
  ElemType y_type = ElemType::kBF16;  // kBF16, or kF32: the fp32 sums (+ bias) unrounded
  const void* bias = nullptr;         // [N] or null
  ElemType bias_type = ElemType::kF32;
  int m = 0;  // 1..kInt4MmaMaxRows
  int64_t n = 0;
  int64_t num_tiles = 0;        // K / kInt4MmaTileK
  int num_splits = 1;           // K split over grid.y; > 1 needs `partial`
  int64_t tiles_per_split = 0;  // k tiles per split
  float* partial = nullptr;     // [num_splits, m, N] f32 scratch when num_splits > 1
};

// Output rows one block covers at m rows (the host sizes grid and splits with it).
int64_t int4_mma_block_rows(int m);

// Bytes of the x-fragment scratch at m rows (m padded to 8, 16, 32 or 64 tokens).
int64_t int4_mma_fragment_bytes(int m, int64_t k);

// y = x · dequant(W)ᵀ (+ bias): each weight rounded to bf16 exactly as the CPU reference does, fp32 tensor-core
// sums, one rounding to y_type (none for f32); with splits the partial sums go through `partial` and a second kernel
// adds them in split order (deterministic), in fp32. Enqueues the x-fragment kernel, the main kernel and (splits > 1)
// the reduction.
cudaError_t launch_int4_mma(const Int4MmaArgs& args, cudaStream_t stream);

// The decode kernel for up to kInt4StreamMaxRows x rows: one launch, no x-fragment pass and no split-K pass. A
// block owns 16 weight rows and splits K between its warps in contiguous runs of k tiles; each warp keeps several
// k tiles of codes in flight in registers and reads x straight from global memory (L1), and the block adds the
// warps' sums in warp order (deterministic) before one rounding to y_type. Warps a block: the most (8/4/2/1, at most
// num_tiles / 2) whose grid is resident in one wave on num_sms multiprocessors. Uses codes, scales, zeros,
// tiles_per_group, x (rows 16-byte aligned), y, y_stride, y_type, bias, m, n and num_tiles of `args`; the split
// fields and the scratch pointers are ignored.
constexpr int kInt4StreamMaxRows = 16;
constexpr int kInt4StreamMaxWarps = 8;

cudaError_t launch_int4_stream(const Int4MmaArgs& args, int num_sms, cudaStream_t stream);

// out[r, k] = dequant(W)[row_begin + r, k] as bf16 for r < out_rows, 32 packed columns per thread with 16-byte
// loads and stores. Needs K % 32 == 0, group_size % 32 == 0, 16-byte aligned code and out rows.
struct Int4DequantArgs {
  const uint32_t* codes = nullptr;
  int64_t code_stride_words = 0;
  const float* scales = nullptr;
  int64_t scale_stride = 0;
  const uint8_t* zeros = nullptr;
  int64_t zero_stride = 0;
  int64_t group_size = 0;
  int64_t k = 0;
  int64_t row_begin = 0;
  int64_t out_rows = 0;
  void* out = nullptr;  // [out_rows, out_stride] bf16
  int64_t out_stride = 0;
};

cudaError_t launch_int4_dequantize_bf16(const Int4DequantArgs& args, cudaStream_t stream);

}  // namespace fovea::backend::cuda
