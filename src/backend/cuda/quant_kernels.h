// Argument structs and launchers of the quantized-linear kernels (quant_kernels.cu): the fused dequantising GEMV
// for decode-size batches, its split-K reduction, and the dequantisation of weight rows / gathering of x columns
// that feed cuBLASLt for prefill. Plain data shared by the host compiler and nvcc.
// Must not contain validation, scratch management or CUDA types beyond cudaStream_t / cudaError_t.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

enum class QuantFormat : uint8_t {
  kInt4,  // i32 words, nibble i of word j = packed column 8j+i
  kInt8,  // u8 codes
  kFp8,   // f8e4m3 codes
};

// A quantized weight as the kernels read it (backend::Weight's QuantParams, docs/QUANT.md).
struct QuantWeightArgs {
  QuantFormat format = QuantFormat::kInt4;
  const uint8_t* values = nullptr;  // [N, row_stride_bytes] codes (not owned)
  int64_t row_stride_bytes = 0;
  bool aligned_words = true;  // values and rows 4-byte aligned: codes may be read a 32-bit word at a time
  int64_t num_out = 0;        // N
  int64_t num_in = 0;         // K (packed columns)
  int64_t group_size = 1;     // packed columns per scale column
  int64_t scale_block_rows = 1;
  bool word_in_one_group = true;  // no 32-bit word of codes spans two groups (group_size % columns-per-word == 0)
  ElemType dequant_type = ElemType::kF32;
  const float* scales = nullptr;  // [ceil(N / scale_block_rows), groups] f32, rows scale_stride apart
  int64_t scale_stride = 0;
  const uint8_t* zeros = nullptr;  // [N, groups] u8, rows zero_stride apart; null: symmetric
  int64_t zero_stride = 0;
  const int32_t* column_order = nullptr;  // [K] i32: packed column k reads x column column_order[k]; null: identity
};

constexpr int kQuantGemvMaxRows = 8;  // x rows per GEMV launch

struct QuantGemvArgs {
  QuantWeightArgs w;
  DeviceView x;  // [m, K] act
  DeviceView y;  // [m, N] act
  const void* bias = nullptr;  // [N] (not owned), or null
  ElemType bias_type = ElemType::kF32;
  int64_t m = 0;            // 1..kQuantGemvMaxRows
  int num_splits = 1;       // K split over grid.y; > 1 needs `partial`
  int64_t split_cols = 0;   // packed columns per split, a multiple of kQuantGemvSplitAlign
  float* partial = nullptr;  // [num_splits, m, N] f32 scratch when num_splits > 1
};

constexpr int64_t kQuantGemvRowsPerBlock = 32;
constexpr int64_t kQuantGemvSplitAlign = 1024;

// y = x · dequant(W)ᵀ (+ bias), fp32 sums, one rounding; with splits the partial sums go through `partial` and a
// second kernel adds them in split order.
cudaError_t launch_quant_gemv(const QuantGemvArgs& args, cudaStream_t stream);

// out[r, k] = dequant(W)[row_begin + r, k] for r < num_rows, every packed column, stored as out's type (which must
// hold the dequant dtype exactly: the same type or f32). out rows are out.stride_rows apart.
cudaError_t launch_quant_dequantize(const QuantWeightArgs& w, int64_t row_begin, const DeviceView& out,
                                    cudaStream_t stream);

// out[m, k] = x[m, column_order[k]] (x[m, k] without an order) converted to out's type; an order entry outside
// [0, K) gives NaN (the device cannot refuse it without a synchronisation).
cudaError_t launch_quant_gather_x(const DeviceView& x, const int32_t* column_order, const DeviceView& out,
                                  cudaStream_t stream);

}  // namespace fovea::backend::cuda
