// Quantized linear on the CPU: the element-wise reference, and the fast path that dequantises eight weight rows (GEMV)
// or a 128-row panel (GEMM) at a time into fp32 scratch, never the whole matrix, and reuses the dense kernels.
#include "backend/cpu/quant_linear.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/element_io.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/quant_dequant.h"
#include "backend/cpu/quant_simd.h"
#include "backend/cpu/simd_kernels.h"
#include "backend/cpu/tensor_access.h"

namespace fovea::backend::cpu {
namespace {

constexpr int64_t kGemvTileRows = 64;    // weight rows per GEMV task
constexpr int64_t kGemvBlockRows = 8;    // weight rows dequantised together before a GEMV call
constexpr int64_t kGemmRowChunk = 256;   // x rows per sgemm call
constexpr int64_t kGemmPanelRows = 128;  // weight rows per sgemm task
constexpr int64_t kDepthBlock = 2048;    // packed columns dequantised per block

int32_t source_column(const Weight& w, int64_t col_idx) {
  return w.quant.has_column_order() ? load_i32(element_at(w.quant.column_order, col_idx, 0))
                                    : static_cast<int32_t>(col_idx);
}

// x rows [row_begin, row_begin + num_rows) as fp32 in packed-column order, into scratch [num_rows, K]; the tensor
// itself when it is f32 and needs no reordering. Returns the row stride.
const float* x_rows_f32(const Tensor& x, const Weight& w, int64_t row_begin, int64_t num_rows, float* scratch,
                        float* row_scratch, int64_t* stride, base::ThreadPool& pool) {
  const int64_t num_in = x.dim(1);
  if (x.dtype == tensor::DType::kF32 && !w.quant.has_column_order()) {
    *stride = x.stride_rows();
    return reinterpret_cast<const float*>(element_at(x, row_begin, 0));
  }
  if (!w.quant.has_column_order()) {
    pool.parallel_for(num_rows, [&](int64_t begin, int64_t end) {
      for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
        load_floats(element_at(x, row_begin + row_idx, 0), x.dtype, num_in, scratch + row_idx * num_in);
      }
    });
  } else {
    const auto* order = reinterpret_cast<const int32_t*>(w.quant.column_order.host_bytes());
    for (int64_t row_idx = 0; row_idx < num_rows; ++row_idx) {
      load_floats(element_at(x, row_begin + row_idx, 0), x.dtype, num_in, row_scratch);
      float* dst = scratch + row_idx * num_in;
      for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) dst[col_idx] = row_scratch[order[col_idx]];
    }
  }
  *stride = num_in;
  return scratch;
}

// y[row_begin + m, n_begin + j] = acc[m * acc_stride + j] (+ bias[n_begin + j]), rounded to y's dtype.
void store_block(const float* acc, int64_t acc_stride, int64_t num_rows, int64_t row_begin, int64_t n_begin,
                 int64_t num_cols, const Tensor* bias, const Tensor& y, float* bias_values, float* row_scratch) {
  if (bias != nullptr) {
    load_floats(element_at(*bias, 0, 0) + n_begin * bias->element_size_bytes(), bias->dtype, num_cols, bias_values);
  }
  for (int64_t m = 0; m < num_rows; ++m) {
    const float* src = acc + m * acc_stride;
    if (bias != nullptr) {
      for (int64_t j = 0; j < num_cols; ++j) row_scratch[j] = src[j] + bias_values[j];
      src = row_scratch;
    }
    store_floats(src, y.dtype, num_cols, element_at(y, row_begin + m, n_begin));
  }
}

using DequantizeRowFn = void (*)(const QuantRow&, int64_t, int64_t, float*);
using DotRowsFn = void (*)(const QuantRow&, const float*, int64_t, int, int64_t, float*);

base::Status linear_gemv(base::ThreadPool& pool, Workspace& workspace, const Tensor& x, const Weight& w,
                         const Tensor* bias, const Tensor& y, bool avx2) {
  const int64_t num_rows = x.dim(0);
  const int64_t num_in = x.dim(1);
  const int64_t depth_block = std::max<int64_t>(1, std::min(num_in, kDepthBlock));
  ScratchCarver caller(workspace.get(workspace.caller_slot(),
                                     ScratchCarver::round_up(static_cast<size_t>(num_rows * num_in) * sizeof(float)) +
                                         ScratchCarver::round_up(static_cast<size_t>(num_in) * sizeof(float))));
  float* x_scratch = caller.take<float>(num_rows * num_in);
  float* x_row_scratch = caller.take<float>(num_in);
  int64_t x_stride = 0;
  const float* x_rows = x_rows_f32(x, w, 0, num_rows, x_scratch, x_row_scratch, &x_stride, pool);
  const DequantizeRowFn dequantize_row = avx2 ? dequantize_row_avx2 : dequantize_row_scalar;
  const int64_t num_tiles = (w.out_features() + kGemvTileRows - 1) / kGemvTileRows;
  const size_t slot_bytes = ScratchCarver::round_up(static_cast<size_t>(num_rows * kGemvTileRows) * sizeof(float)) +
                            ScratchCarver::round_up(static_cast<size_t>(kGemvBlockRows * depth_block) * sizeof(float)) +
                            ScratchCarver::round_up(static_cast<size_t>(num_rows * kGemvBlockRows) * sizeof(float)) +
                            2 * ScratchCarver::round_up(static_cast<size_t>(kGemvTileRows) * sizeof(float));
  workspace.reserve_task_slots(slot_bytes);
  run_tasks(pool, num_tiles, [&](int64_t tile_idx, int slot_idx) {
    ScratchCarver carver(workspace.get(slot_idx, slot_bytes));
    float* acc = carver.take<float>(num_rows * kGemvTileRows);
    float* block = carver.take<float>(kGemvBlockRows * depth_block);
    float* partial = carver.take<float>(num_rows * kGemvBlockRows);
    float* bias_values = carver.take<float>(kGemvTileRows);
    float* row_scratch = carver.take<float>(kGemvTileRows);
    const int64_t tile_begin = tile_idx * kGemvTileRows;
    const int64_t tile_end = std::min(w.out_features(), tile_begin + kGemvTileRows);
    std::fill(acc, acc + num_rows * kGemvTileRows, 0.0f);
    if (avx2 && num_rows <= kMaxFusedRows) {
      // Decode: each weight vector is dequantised in registers and used for every x row, no scratch round trip.
      const DotRowsFn dot_rows =
          w.format == WeightFormat::kInt4 && quant_cpu_has_avx512() ? dot_rows_int4_avx512 : dot_rows_avx2;
      for (int64_t row_idx = tile_begin; row_idx < tile_end; ++row_idx) {
        dot_rows(quant_row(w, row_idx), x_rows, x_stride, static_cast<int>(num_rows), num_in, partial);
        for (int64_t m = 0; m < num_rows; ++m) acc[m * kGemvTileRows + (row_idx - tile_begin)] = partial[m];
      }
      store_block(acc, kGemvTileRows, num_rows, 0, tile_begin, tile_end - tile_begin, bias, y, bias_values,
                  row_scratch);
      return;
    }
    for (int64_t k_begin = 0; k_begin < num_in; k_begin += depth_block) {
      const int64_t depth = std::min(depth_block, num_in - k_begin);
      for (int64_t block_begin = tile_begin; block_begin < tile_end; block_begin += kGemvBlockRows) {
        const int64_t block_rows = std::min(kGemvBlockRows, tile_end - block_begin);
        for (int64_t i = 0; i < block_rows; ++i) {
          dequantize_row(quant_row(w, block_begin + i), k_begin, k_begin + depth, block + i * depth);
        }
        GemvArgs args;
        args.x = x_rows + k_begin;
        args.num_x_rows = num_rows;
        args.x_stride = x_stride;
        args.num_in = depth;
        args.w = block;
        args.w_dtype = tensor::DType::kF32;
        args.w_stride = depth;
        args.n_begin = 0;
        args.n_end = block_rows;
        args.out = partial;
        args.out_stride = kGemvBlockRows;
        if (avx2) {
          gemv_avx2(args);
        } else {
          gemv_portable(args);
        }
        for (int64_t m = 0; m < num_rows; ++m) {
          float* acc_row = acc + m * kGemvTileRows + (block_begin - tile_begin);
          for (int64_t i = 0; i < block_rows; ++i) acc_row[i] += partial[m * kGemvBlockRows + i];
        }
      }
    }
    store_block(acc, kGemvTileRows, num_rows, 0, tile_begin, tile_end - tile_begin, bias, y, bias_values, row_scratch);
  });
  return base::Status();
}

base::Status linear_gemm(base::ThreadPool& pool, Workspace& workspace, const Tensor& x, const Weight& w,
                         const Tensor* bias, const Tensor& y, bool avx2) {
  const int64_t num_in = x.dim(1);
  const int64_t num_out = w.out_features();
  const int64_t depth_block = std::max<int64_t>(1, std::min(num_in, kDepthBlock));
  const int64_t num_panels = (num_out + kGemmPanelRows - 1) / kGemmPanelRows;
  const DequantizeRowFn dequantize_row = avx2 ? dequantize_row_avx2 : dequantize_row_scalar;
  const size_t slot_bytes =
      ScratchCarver::round_up(static_cast<size_t>(kGemmRowChunk * kGemmPanelRows) * sizeof(float)) +
      ScratchCarver::round_up(static_cast<size_t>(kGemmPanelRows * depth_block) * sizeof(float)) +
      2 * ScratchCarver::round_up(static_cast<size_t>(kGemmPanelRows) * sizeof(float));
  for (int64_t row_begin = 0; row_begin < x.dim(0); row_begin += kGemmRowChunk) {
    const int64_t num_rows = std::min(kGemmRowChunk, x.dim(0) - row_begin);
    ScratchCarver caller(workspace.get(workspace.caller_slot(),
                                       ScratchCarver::round_up(static_cast<size_t>(num_rows * num_in) * sizeof(float)) +
                                           ScratchCarver::round_up(static_cast<size_t>(num_in) * sizeof(float))));
    float* x_scratch = caller.take<float>(num_rows * num_in);
    float* x_row_scratch = caller.take<float>(num_in);
    int64_t x_stride = 0;
    const float* x_rows = x_rows_f32(x, w, row_begin, num_rows, x_scratch, x_row_scratch, &x_stride, pool);
    workspace.reserve_task_slots(slot_bytes);
    run_tasks(pool, num_panels, [&](int64_t panel_idx, int slot_idx) {
      ScratchCarver carver(workspace.get(slot_idx, slot_bytes));
      float* acc = carver.take<float>(kGemmRowChunk * kGemmPanelRows);
      float* panel = carver.take<float>(kGemmPanelRows * depth_block);
      float* bias_values = carver.take<float>(kGemmPanelRows);
      float* row_scratch = carver.take<float>(kGemmPanelRows);
      const int64_t n_begin = panel_idx * kGemmPanelRows;
      const int64_t num_cols = std::min(kGemmPanelRows, num_out - n_begin);
      for (int64_t k_begin = 0; k_begin < num_in; k_begin += depth_block) {
        const int64_t depth = std::min(depth_block, num_in - k_begin);
        for (int64_t j = 0; j < num_cols; ++j) {
          dequantize_row(quant_row(w, n_begin + j), k_begin, k_begin + depth, panel + j * depth);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_rows),
                    static_cast<blasint>(num_cols), static_cast<blasint>(depth), 1.0f, x_rows + k_begin,
                    static_cast<blasint>(x_stride), panel, static_cast<blasint>(depth), k_begin == 0 ? 0.0f : 1.0f, acc,
                    static_cast<blasint>(kGemmPanelRows));
      }
      store_block(acc, kGemmPanelRows, num_rows, row_begin, n_begin, num_cols, bias, y, bias_values, row_scratch);
    });
  }
  return base::Status();
}

}  // namespace

base::Status quantized_linear_reference(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  FOVEA_RETURN_IF_ERROR(check_quantized_linear(x, w, bias, y));
  const int64_t num_in = x.dim(1);
  std::vector<float> row(static_cast<size_t>(num_in));
  for (int64_t out_idx = 0; out_idx < w.out_features(); ++out_idx) {
    dequantize_row_portable(w, out_idx, 0, num_in, row.data());
    for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
      double sum = 0.0;
      for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) {
        const float x_value = load_float(element_at(x, row_idx, source_column(w, col_idx)), x.dtype);
        sum += static_cast<double>(x_value) * static_cast<double>(row[static_cast<size_t>(col_idx)]);
      }
      float result = static_cast<float>(sum);
      if (bias != nullptr) result += load_float(element_at(*bias, out_idx, 0), bias->dtype);
      store_float(element_at(y, row_idx, out_idx), y.dtype, result);
    }
  }
  return base::Status();
}

base::Status quantized_linear_fast(base::ThreadPool& pool, Workspace& workspace, const CpuOpsOptions& options,
                                   const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  FOVEA_RETURN_IF_ERROR(check_quantized_linear(x, w, bias, y));
  if (x.dim(0) == 0 || w.out_features() == 0) return base::Status();
  const bool avx2 = options.simd_path == SimdPath::kAuto && cpu_has_avx2_fma();
  switch (options.linear_path) {
    case LinearPath::kGemvAvx2:
      if (!cpu_has_avx2_fma()) return base::unsupported("linear: this CPU lacks AVX2/FMA/F16C for the AVX2 GEMV");
      return linear_gemv(pool, workspace, x, w, bias, y, true);
    case LinearPath::kGemvPortable:
      return linear_gemv(pool, workspace, x, w, bias, y, false);
    case LinearPath::kGemmBlas:
      if (x.dim(1) == 0) return linear_gemv(pool, workspace, x, w, bias, y, false);
      return linear_gemm(pool, workspace, x, w, bias, y, avx2);
    case LinearPath::kAuto:
      break;
  }
  if (x.dim(0) <= options.gemv_max_rows || x.dim(1) == 0) return linear_gemv(pool, workspace, x, w, bias, y, avx2);
  return linear_gemm(pool, workspace, x, w, bias, y, avx2);
}

}  // namespace fovea::backend::cpu
