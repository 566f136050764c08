// CpuOps::linear: y = x · Wᵀ (+ bias) through a GEMV for few rows (decode: the weights stream once from memory)
// or a GEMM for many (prefill). bf16 x and w on an AVX512_BF16 CPU use vdpbf16ps kernels on the bf16 values
// directly; otherwise the GEMV converts on the fly and the GEMM feeds OpenBLAS sgemm fp32 weight panels converted
// one block at a time, so no fp32 copy of a whole weight ever exists. All accumulate in fp32 and round once into y.
#include <cblas.h>

#include <algorithm>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/element_io.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/quant_linear.h"
#include "backend/cpu/simd_bf16_kernels.h"
#include "backend/cpu/simd_kernels.h"
#include "backend/cpu/tensor_access.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};
constexpr int64_t kGemvTileRows = 64;      // weight rows per GEMV task
constexpr int64_t kGemmRowChunk = 256;     // x rows per sgemm call
constexpr int64_t kGemmPanelRows = 128;    // weight rows per sgemm task
constexpr int64_t kGemmDepthBlock = 2048;  // K per converted weight block

// x as fp32 rows: the tensor itself when it is f32, else converted into `scratch` [rows, K].
struct Float32Rows {
  const float* data;  // not owned
  int64_t stride;
};

Float32Rows rows_as_f32(const Tensor& x, int64_t row_begin, int64_t num_rows, float* scratch, base::ThreadPool& pool) {
  const int64_t num_in = x.dim(1);
  if (x.dtype == tensor::DType::kF32) {
    return {reinterpret_cast<const float*>(element_at(x, row_begin, 0)), x.stride_rows()};
  }
  pool.parallel_for(num_rows, [&](int64_t begin, int64_t end) {
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      load_floats(element_at(x, row_begin + row_idx, 0), x.dtype, num_in, scratch + row_idx * num_in);
    }
  });
  return {scratch, num_in};
}

// y[row_begin + m, n_begin + j] = acc[m * acc_stride + j] + bias[n_begin + j], rounded to y's dtype.
void store_rows(const float* acc, int64_t acc_stride, int64_t num_rows, int64_t row_begin, int64_t n_begin,
                int64_t num_cols, const Tensor* bias, const Tensor& y, float* row_scratch) {
  float bias_values[kGemmPanelRows > kGemvTileRows ? kGemmPanelRows : kGemvTileRows];
  if (bias != nullptr)
    load_floats(element_at(*bias, 0, 0) + n_begin * bias->element_size_bytes(), bias->dtype, num_cols, bias_values);
  for (int64_t m = 0; m < num_rows; ++m) {
    const float* src = acc + m * acc_stride;
    if (bias != nullptr) {
      for (int64_t j = 0; j < num_cols; ++j) row_scratch[j] = src[j] + bias_values[j];
      src = row_scratch;
    }
    store_floats(src, y.dtype, num_cols, element_at(y, row_begin + m, n_begin));
  }
}

}  // namespace

base::Status CpuOps::linear(Stream& stream, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  FOVEA_RETURN_IF_ERROR(check_stream("linear", stream, kCpu));
  // Quantized formats (quant_linear.h) have their own checks and kernels.
  if (w.is_quantized()) return quantized_linear_fast(pool_, workspace_, options_, x, w, bias, y);
  FOVEA_RETURN_IF_ERROR(check_linear(kCpu, x, w, bias, y));
  if (x.dim(0) == 0 || w.out_features() == 0) return base::Status();
  LinearPath path = options_.linear_path;
  const bool bf16_pair = x.dtype == tensor::DType::kBF16 && w.values.dtype == tensor::DType::kBF16 && x.dim(1) > 0;
  if (path == LinearPath::kAuto && options_.avx512_bf16 && bf16_pair && cpu_has_avx512_bf16()) {
    if (x.dim(0) <= options_.gemv_max_rows || x.dim(1) % 2 != 0) return linear_gemv_bf16(x, w, bias, y);
    return linear_gemm_bf16(x, w, bias, y);
  }
  if (path == LinearPath::kAuto) {
    const bool few_rows = x.dim(0) <= options_.gemv_max_rows || x.dim(1) == 0;
    path = few_rows ? (use_avx2() ? LinearPath::kGemvAvx2 : LinearPath::kGemvPortable) : LinearPath::kGemmBlas;
  }
  switch (path) {
    case LinearPath::kGemvAvx2:
      if (!cpu_has_avx2_fma()) return base::unsupported("linear: this CPU lacks AVX2/FMA/F16C for the AVX2 GEMV");
      return linear_gemv(x, w, bias, y, true);
    case LinearPath::kGemvPortable:
      return linear_gemv(x, w, bias, y, false);
    default:
      if (x.dim(1) == 0) return linear_gemv(x, w, bias, y, false);
      return linear_gemm(x, w, bias, y);
  }
}

base::Status CpuOps::linear_gemv(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y, bool avx2) {
  const int64_t num_rows = x.dim(0);
  const int64_t num_in = x.dim(1);
  auto* x_scratch = reinterpret_cast<float*>(
      workspace_.get(workspace_.caller_slot(), static_cast<size_t>(num_rows * num_in) * sizeof(float)));
  const Float32Rows x_rows = rows_as_f32(x, 0, num_rows, x_scratch, pool_);
  const int64_t num_tiles = (w.out_features() + kGemvTileRows - 1) / kGemvTileRows;
  const size_t acc_bytes = ScratchCarver::round_up(static_cast<size_t>(num_rows * kGemvTileRows) * sizeof(float));
  const size_t slot_bytes = acc_bytes + static_cast<size_t>(kGemvTileRows) * sizeof(float);
  workspace_.reserve_task_slots(slot_bytes);
  run_tasks(pool_, num_tiles, [&](int64_t tile_idx, int slot_idx) {
    ScratchCarver carver(workspace_.get(slot_idx, slot_bytes));
    float* acc = carver.take<float>(num_rows * kGemvTileRows);
    float* row_scratch = carver.take<float>(kGemvTileRows);
    GemvArgs args;
    args.x = x_rows.data;
    args.num_x_rows = num_rows;
    args.x_stride = x_rows.stride;
    args.num_in = num_in;
    args.w = w.values.host_bytes();
    args.w_dtype = w.values.dtype;
    args.w_stride = w.values.stride_rows();
    args.n_begin = tile_idx * kGemvTileRows;
    args.n_end = std::min(w.out_features(), args.n_begin + kGemvTileRows);
    args.out = acc;
    args.out_stride = kGemvTileRows;
    if (avx2) {
      gemv_avx2(args);
    } else {
      gemv_portable(args);
    }
    store_rows(acc, kGemvTileRows, num_rows, 0, args.n_begin, args.n_end - args.n_begin, bias, y, row_scratch);
  });
  return base::Status();
}

base::Status CpuOps::linear_gemm(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  const int64_t num_in = x.dim(1);
  const int64_t num_out = w.out_features();
  const bool weight_is_f32 = w.values.dtype == tensor::DType::kF32;
  const int64_t depth_block = weight_is_f32 ? num_in : std::min(num_in, kGemmDepthBlock);
  const int64_t num_panels = (num_out + kGemmPanelRows - 1) / kGemmPanelRows;
  const size_t slot_bytes =
      ScratchCarver::round_up(static_cast<size_t>(kGemmRowChunk * kGemmPanelRows) * sizeof(float)) +
      ScratchCarver::round_up(static_cast<size_t>(kGemmPanelRows) * sizeof(float)) +
      (weight_is_f32 ? 0 : static_cast<size_t>(kGemmPanelRows * depth_block) * sizeof(float));
  for (int64_t row_begin = 0; row_begin < x.dim(0); row_begin += kGemmRowChunk) {
    const int64_t num_rows = std::min(kGemmRowChunk, x.dim(0) - row_begin);
    auto* x_scratch = reinterpret_cast<float*>(
        workspace_.get(workspace_.caller_slot(), static_cast<size_t>(num_rows * num_in) * sizeof(float)));
    const Float32Rows x_rows = rows_as_f32(x, row_begin, num_rows, x_scratch, pool_);
    workspace_.reserve_task_slots(slot_bytes);
    run_tasks(pool_, num_panels, [&](int64_t panel_idx, int slot_idx) {
      ScratchCarver carver(workspace_.get(slot_idx, slot_bytes));
      float* acc = carver.take<float>(kGemmRowChunk * kGemmPanelRows);
      float* row_scratch = carver.take<float>(kGemmPanelRows);
      float* panel = weight_is_f32 ? nullptr : carver.take<float>(kGemmPanelRows * depth_block);
      const int64_t n_begin = panel_idx * kGemmPanelRows;
      const int64_t num_cols = std::min(kGemmPanelRows, num_out - n_begin);
      for (int64_t k_begin = 0; k_begin < num_in; k_begin += depth_block) {
        const int64_t depth = std::min(depth_block, num_in - k_begin);
        const float* b = nullptr;
        int64_t ldb = 0;
        if (weight_is_f32) {
          b = reinterpret_cast<const float*>(element_at(w.values, n_begin, k_begin));
          ldb = w.values.stride_rows();
        } else {
          for (int64_t j = 0; j < num_cols; ++j) {
            load_floats(element_at(w.values, n_begin + j, k_begin), w.values.dtype, depth, panel + j * depth);
          }
          b = panel;
          ldb = depth;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_rows),
                    static_cast<blasint>(num_cols), static_cast<blasint>(depth), 1.0f, x_rows.data + k_begin,
                    static_cast<blasint>(x_rows.stride), b, static_cast<blasint>(ldb), k_begin == 0 ? 0.0f : 1.0f, acc,
                    static_cast<blasint>(kGemmPanelRows));
      }
      store_rows(acc, kGemmPanelRows, num_rows, row_begin, n_begin, num_cols, bias, y, row_scratch);
    });
  }
  return base::Status();
}

base::Status CpuOps::linear_gemv_bf16(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  const int64_t num_rows = x.dim(0);
  const int64_t num_tiles = (w.out_features() + kGemvTileRows - 1) / kGemvTileRows;
  const size_t acc_bytes = ScratchCarver::round_up(static_cast<size_t>(num_rows * kGemvTileRows) * sizeof(float));
  const size_t slot_bytes = acc_bytes + static_cast<size_t>(kGemvTileRows) * sizeof(float);
  workspace_.reserve_task_slots(slot_bytes);
  Bf16GemvArgs base_args;
  base_args.x = reinterpret_cast<const uint16_t*>(element_at(x, 0, 0));
  base_args.num_x_rows = num_rows;
  base_args.x_stride = x.stride_rows();
  base_args.num_in = x.dim(1);
  base_args.w = reinterpret_cast<const uint16_t*>(w.values.host_bytes());
  base_args.w_stride = w.values.stride_rows();
  base_args.out_stride = kGemvTileRows;
  run_tasks(pool_, num_tiles, [&](int64_t tile_idx, int slot_idx) {
    ScratchCarver carver(workspace_.get(slot_idx, slot_bytes));
    Bf16GemvArgs args = base_args;
    args.out = carver.take<float>(num_rows * kGemvTileRows);
    float* row_scratch = carver.take<float>(kGemvTileRows);
    args.n_begin = tile_idx * kGemvTileRows;
    args.n_end = std::min(w.out_features(), args.n_begin + kGemvTileRows);
    gemv_avx512_bf16(args);
    store_rows(args.out, kGemvTileRows, num_rows, 0, args.n_begin, args.n_end - args.n_begin, bias, y, row_scratch);
  });
  return base::Status();
}

base::Status CpuOps::linear_gemm_bf16(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  const int64_t num_in = x.dim(1);
  const int64_t num_out = w.out_features();
  const int64_t num_panels = (num_out + kBf16PanelCols - 1) / kBf16PanelCols;
  const int64_t row_chunk = std::min(kGemmRowChunk, x.dim(0));
  const size_t panel_bytes = ScratchCarver::round_up(static_cast<size_t>(num_in * kBf16PanelCols) * 2);
  const size_t acc_bytes = ScratchCarver::round_up(static_cast<size_t>(row_chunk * kBf16PanelCols) * sizeof(float));
  const size_t slot_bytes = panel_bytes + acc_bytes + static_cast<size_t>(kBf16PanelCols) * sizeof(float);
  workspace_.reserve_task_slots(slot_bytes);
  const auto* w_values = reinterpret_cast<const uint16_t*>(w.values.host_bytes());
  // One task per panel of output columns: the panel is packed once, then every chunk of x rows runs against it.
  run_tasks(pool_, num_panels, [&](int64_t panel_idx, int slot_idx) {
    ScratchCarver carver(workspace_.get(slot_idx, slot_bytes));
    auto* panel = carver.take<uint16_t>(num_in * kBf16PanelCols);
    float* acc = carver.take<float>(row_chunk * kBf16PanelCols);
    float* row_scratch = carver.take<float>(kBf16PanelCols);
    const int64_t n_begin = panel_idx * kBf16PanelCols;
    const int64_t num_cols = std::min(kBf16PanelCols, num_out - n_begin);
    pack_bf16_panel(w_values + n_begin * w.values.stride_rows(), w.values.stride_rows(), num_cols, num_in, panel);
    for (int64_t row_begin = 0; row_begin < x.dim(0); row_begin += row_chunk) {
      Bf16GemmArgs args;
      args.x = reinterpret_cast<const uint16_t*>(element_at(x, row_begin, 0));
      args.num_x_rows = std::min(row_chunk, x.dim(0) - row_begin);
      args.x_stride = x.stride_rows();
      args.num_in = num_in;
      gemm_avx512_bf16(args, panel, acc);
      store_rows(acc, kBf16PanelCols, args.num_x_rows, row_begin, n_begin, num_cols, bias, y, row_scratch);
    }
  });
  return base::Status();
}

}  // namespace fovea::backend::cpu
