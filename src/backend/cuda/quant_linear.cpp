// Quantized linear on a CUDA card: validation, the int4 decode kernel (up to 16 rows, one launch), the int4
// tensor-core passes or the GEMV passes for decode-size batches (split over K when the rows alone leave the card
// idle), and for larger batches weight tiles dequantised into scratch and multiplied by cuBLASLt (or the SIMT kernel
// where cuBLASLt has no algorithm).
#include "backend/cuda/quant_linear.h"

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "backend/cuda/cuda_util.h"
#include "backend/cuda/device_views.h"
#include "backend/cuda/int4_mma_kernels.h"
#include "backend/cuda/kernel_launch.h"
#include "backend/cuda/quant_kernels.h"
#include "backend/op_checks.h"

namespace fovea::backend::cuda {
namespace {

using tensor::DType;

// Scratch budgets of the GEMM path: a tile of dequantised weight rows, the gathered / converted x rows, and the
// fp32 product before the epilogue. Bigger problems are cut into tiles and row chunks that fit.
constexpr int64_t kTileBytes = int64_t{32} << 20;
constexpr int64_t kGatheredXBytes = int64_t{32} << 20;
constexpr int64_t kProductBytes = int64_t{32} << 20;
constexpr int64_t kTileRowAlign = 64;
constexpr int kMaxSplits = 16;

int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

std::atomic<Int4Kernel> int4_kernel{Int4Kernel::kAuto};

bool int4_tensor_cores() { return int4_kernel.load(std::memory_order_relaxed) != Int4Kernel::kGemv; }

bool aligned16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

DType code_dtype(WeightFormat format) {
  switch (format) {
    case WeightFormat::kInt4:
      return DType::kI32;
    case WeightFormat::kInt8:
      return DType::kU8;
    default:
      return DType::kF8E4M3;
  }
}

base::Status check_param(Device device, std::string_view name, const Tensor& t, DType dtype,
                         const tensor::Shape& shape) {
  FOVEA_RETURN_IF_ERROR(check_view("linear", name, t, device));
  if (t.dtype != dtype || t.shape != shape) {
    return base::invalid_argument("linear: quantized weight {} is {} {} but must be {} {}", name,
                                  tensor::dtype_name(t.dtype), t.shape.to_string(), tensor::dtype_name(dtype),
                                  shape.to_string());
  }
  return base::Status();
}

// The CPU's check_quantized_linear on device views, without reading column_order (on the device; the kernels
// turn an entry outside [0, K) into NaN outputs instead).
base::Status check_quantized_linear(Device device, const Tensor& x, const Weight& w, const Tensor* bias,
                                    const Tensor& y) {
  const QuantParams& q = w.quant;
  if (w.format != WeightFormat::kInt4 && w.format != WeightFormat::kInt8 && w.format != WeightFormat::kFp8) {
    return base::unsupported("linear: weight format {} has no CUDA kernel", static_cast<int>(w.format));
  }
  FOVEA_RETURN_IF_ERROR(check_view("linear", "weight", w.values, device));
  if (w.values.rank() != 2 || q.in_features < 0 || q.group_size < 1 || q.scale_block_rows < 1) {
    return base::invalid_argument(
        "linear: quantized weight has values {}, in_features {}, group_size {}, scale_block_rows {}; values must be "
        "rank 2 and the sizes positive",
        w.values.shape.to_string(), q.in_features, q.group_size, q.scale_block_rows);
  }
  const int64_t num_out = w.values.dim(0);
  const int64_t num_in = q.in_features;
  // The kernels index columns and groups with 32-bit arithmetic (64-bit divisions per word would dominate them).
  if (num_in > INT32_MAX || q.group_size > INT32_MAX) {
    return base::unsupported("linear: the CUDA kernels take at most 2^31 - 1 input features per quantized weight, "
                             "not {}",
                             num_in);
  }
  const int64_t packed_cols = w.format == WeightFormat::kInt4 ? ceil_div(num_in, 8) : num_in;
  FOVEA_RETURN_IF_ERROR(
      check_param(device, "values", w.values, code_dtype(w.format), tensor::Shape({num_out, packed_cols})));
  if (q.dequant_dtype != DType::kBF16 && q.dequant_dtype != DType::kF16 && q.dequant_dtype != DType::kF32) {
    return base::invalid_argument("linear: a quantized weight's dequant_dtype must be bf16, f16 or f32, not {}",
                                  tensor::dtype_name(q.dequant_dtype));
  }
  const int64_t num_groups = ceil_div(num_in, q.group_size);
  FOVEA_RETURN_IF_ERROR(check_param(device, "scales", q.scales, DType::kF32,
                                    tensor::Shape({ceil_div(num_out, q.scale_block_rows), num_groups})));
  if (q.has_zeros()) {
    if (w.format == WeightFormat::kFp8) return base::invalid_argument("linear: an fp8 weight has no zero points");
    FOVEA_RETURN_IF_ERROR(check_param(device, "zeros", q.zeros, DType::kU8, tensor::Shape({num_out, num_groups})));
    if (q.scale_block_rows != 1) {
      return base::invalid_argument("linear: zero points need one scale row per weight row, not {}",
                                    q.scale_block_rows);
    }
  }
  if (q.has_column_order()) {
    FOVEA_RETURN_IF_ERROR(check_param(device, "column_order", q.column_order, DType::kI32, tensor::Shape({num_in})));
  }
  FOVEA_RETURN_IF_ERROR(check_view("linear", "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_view("linear", "y", y, device));
  if (x.rank() != 2 || !is_activation_dtype(x.dtype)) {
    return base::invalid_argument("linear: x must be [M, K] f32 / bf16 / f16 but is {} {}",
                                  tensor::dtype_name(x.dtype), x.shape.to_string());
  }
  if (x.dim(1) != num_in) {
    return base::invalid_argument("linear: x has {} features but the quantized weight expects {}", x.dim(1), num_in);
  }
  if (y.buffer->read_only()) return base::invalid_argument("linear: y lies in a read-only buffer");
  FOVEA_RETURN_IF_ERROR(check_linear_output_dtype(x, y));
  if (y.shape != tensor::Shape({x.dim(0), num_out})) {
    return base::invalid_argument("linear: y has shape {} but must be [{}, {}]", y.shape.to_string(), x.dim(0),
                                  num_out);
  }
  if (bias != nullptr) {
    FOVEA_RETURN_IF_ERROR(check_view("linear", "bias", *bias, device));
    if (bias->shape != tensor::Shape({num_out}) || !is_activation_dtype(bias->dtype)) {
      return base::invalid_argument("linear: bias is {} {} but must be [{}] bf16 / f16 / f32",
                                    tensor::dtype_name(bias->dtype), bias->shape.to_string(), num_out);
    }
    if (views_overlap(y, *bias)) return base::invalid_argument("linear: y overlaps bias; pass disjoint memory");
  }
  for (const Tensor* input : {&x, &w.values, &q.scales, &q.zeros, &q.column_order}) {
    if (input->buffer != nullptr && views_overlap(y, *input)) {
      return base::invalid_argument("linear: y overlaps an input; pass disjoint memory");
    }
  }
  return base::Status();
}

QuantWeightArgs weight_args(const Weight& w) {
  const QuantParams& q = w.quant;
  QuantWeightArgs args;
  args.format = w.format == WeightFormat::kInt4   ? QuantFormat::kInt4
                : w.format == WeightFormat::kInt8 ? QuantFormat::kInt8
                                                  : QuantFormat::kFp8;
  args.values = device_pointer<const uint8_t>(w.values);
  args.row_stride_bytes = w.values.stride_rows() * w.values.element_size_bytes();
  args.aligned_words = reinterpret_cast<uintptr_t>(args.values) % 4 == 0 && args.row_stride_bytes % 4 == 0;
  args.num_out = w.values.dim(0);
  args.num_in = q.in_features;
  args.group_size = q.group_size;
  args.scale_block_rows = q.scale_block_rows;
  const int64_t cols_per_word = w.format == WeightFormat::kInt4 ? 8 : 4;
  args.word_in_one_group = q.group_size % cols_per_word == 0 || q.group_size >= q.in_features;
  args.dequant_type = elem_type(q.dequant_dtype);
  args.scales = device_pointer<const float>(q.scales);
  args.scale_stride = q.scales.stride_rows();
  if (q.has_zeros()) {
    args.zeros = device_pointer<const uint8_t>(q.zeros);
    args.zero_stride = q.zeros.stride_rows();
  }
  if (q.has_column_order()) args.column_order = device_pointer<const int32_t>(q.column_order);
  return args;
}

// Rows [row_begin, row_begin + num_rows) and columns [col_begin, col_begin + num_cols) of a rank-2 view.
DeviceView sub_view(const Tensor& t, int64_t row_begin, int64_t num_rows, int64_t col_begin, int64_t num_cols) {
  DeviceView view = device_view(t);
  view.data = static_cast<char*>(view.data) + (row_begin * t.stride_rows() + col_begin) * t.element_size_bytes();
  view.num_rows = num_rows;
  view.row_numel = num_cols;
  return view;
}

const void* bias_at(const Tensor* bias, int64_t col_begin) {
  if (bias == nullptr) return nullptr;
  return static_cast<const char*>(device_address(*bias)) + col_begin * bias->element_size_bytes();
}

base::Status run_gemv(CudaStream& stream, int num_sms, const Tensor& x, const Weight& w, const Tensor* bias,
                      const Tensor& y) {
  const int64_t num_rows = x.dim(0);
  const int64_t num_out = w.out_features();
  const int64_t num_in = w.in_features();
  QuantGemvArgs args;
  args.w = weight_args(w);
  args.bias = bias_at(bias, 0);
  args.bias_type = bias != nullptr ? elem_type(bias->dtype) : ElemType::kF32;
  // Split K when the weight rows alone give fewer than ~4 blocks per multiprocessor (narrow outputs, long K).
  const int64_t num_blocks = ceil_div(num_out, kQuantGemvRowsPerBlock);
  const int64_t target_blocks = 4 * static_cast<int64_t>(num_sms);
  int64_t num_splits = 1;
  if (num_blocks < target_blocks) {
    num_splits = std::min<int64_t>({ceil_div(target_blocks, num_blocks), ceil_div(num_in, kQuantGemvSplitAlign),
                                    int64_t{kMaxSplits}});
  }
  args.split_cols = round_up(ceil_div(num_in, num_splits), kQuantGemvSplitAlign);
  args.num_splits = static_cast<int>(ceil_div(num_in, args.split_cols));
  if (args.num_splits > 1) {
    const int64_t pass_rows = std::min<int64_t>(num_rows, kQuantGemvMaxRows);
    FOVEA_ASSIGN_OR_RETURN(void* partial,
                           stream.scratch(static_cast<size_t>(args.num_splits * pass_rows * num_out) * sizeof(float)));
    args.partial = static_cast<float*>(partial);
  }
  for (int64_t row_begin = 0; row_begin < num_rows; row_begin += kQuantGemvMaxRows) {
    args.m = std::min<int64_t>(kQuantGemvMaxRows, num_rows - row_begin);
    args.x = sub_view(x, row_begin, args.m, 0, num_in);
    args.y = sub_view(y, row_begin, args.m, 0, num_out);
    FOVEA_RETURN_IF_ERROR(cuda_status(launch_quant_gemv(args, stream.handle()), "quantized linear (GEMV)"));
  }
  return base::Status();
}

// The int4 tensor-core kernel reads the codes as they are: int4 with bf16 x and bf16 dequant, one scale row per
// weight row, K and the group a multiple of 128, code rows 16-byte aligned.
bool int4_mma_applies(const Tensor& x, const Weight& w) {
  const QuantParams& q = w.quant;
  return int4_tensor_cores() && w.format == WeightFormat::kInt4 && x.dtype == DType::kBF16 &&
         q.dequant_dtype == DType::kBF16 && q.scale_block_rows == 1 && q.in_features % kInt4MmaTileK == 0 &&
         q.group_size % kInt4MmaTileK == 0 && aligned16(device_address(w.values)) && w.values.stride_rows() % 4 == 0;
}

struct Int4MmaSplit {
  int num_splits = 1;
  int64_t tiles_per_split = 0;
};

// Splits K when the row blocks alone give fewer than ~3 blocks per multiprocessor, as long as the partial sums
// (written and read once) stay under the code bytes.
Int4MmaSplit int4_mma_split(int num_sms, int64_t pass_rows, int64_t num_out, int64_t num_in) {
  const int64_t num_tiles = num_in / kInt4MmaTileK;
  const int64_t row_blocks = ceil_div(num_out, int4_mma_block_rows(static_cast<int>(pass_rows)));
  const int64_t target_blocks = 3 * static_cast<int64_t>(num_sms);
  int64_t num_splits = 1;
  if (row_blocks < target_blocks) {
    const int64_t code_bytes = num_out * num_in / 2;
    const int64_t by_traffic = std::max<int64_t>(1, code_bytes / (2 * pass_rows * num_out * 4));
    num_splits = std::min<int64_t>({ceil_div(target_blocks, row_blocks), num_tiles, by_traffic, 65535});
  }
  Int4MmaSplit split;
  split.tiles_per_split = ceil_div(num_tiles, num_splits);
  split.num_splits = static_cast<int>(ceil_div(num_tiles, split.tiles_per_split));
  return split;
}

// Whether the one-launch decode kernel runs: measured clearly faster than the x-fragment kernel only where its
// 16-row blocks fit one wave (k/v at N = 1024: 6.8 us against 11.1-12.8 us, H100 run 4); on wider weights it keeps
// too few warps a multiprocessor (o, gate/up, down slower; q at M <= 8 within 6%, not worth a per-shape rule).
bool use_int4_stream(int num_sms, int64_t num_rows, int64_t num_out) {
  if (num_rows > kInt4StreamMaxRows) return false;
  switch (int4_kernel.load(std::memory_order_relaxed)) {
    case Int4Kernel::kStream:
      return true;
    case Int4Kernel::kAuto:
      return ceil_div(num_out, 16) <= num_sms;
    default:
      return false;
  }
}

base::Status run_int4_mma(CudaStream& stream, int num_sms, const Tensor& x, const Weight& w, const Tensor* bias,
                          const Tensor& y) {
  const QuantParams& q = w.quant;
  const int64_t num_rows = x.dim(0);
  const int64_t num_out = w.out_features();
  const int64_t num_in = w.in_features();
  const bool gather = q.has_column_order() || !aligned16(device_address(x)) || x.stride_rows() % 8 != 0;
  const bool decode_kernel = use_int4_stream(num_sms, num_rows, num_out);  // no x fragments, no partial sums
  const int64_t first_pass = std::min<int64_t>(num_rows, kInt4MmaMaxRows);
  const int64_t last_pass = num_rows % kInt4MmaMaxRows == 0 ? first_pass : num_rows % kInt4MmaMaxRows;
  int64_t partial_bytes = 0;
  for (const int64_t pass_rows : {first_pass, last_pass}) {
    const Int4MmaSplit split = int4_mma_split(num_sms, pass_rows, num_out, num_in);
    if (split.num_splits > 1 && !decode_kernel) {
      partial_bytes = std::max(partial_bytes, split.num_splits * pass_rows * num_out * 4);
    }
  }
  const int64_t gathered_bytes = gather ? round_up(num_rows * num_in * 2, 256) : 0;
  const int64_t fragment_bytes =
      decode_kernel ? 0 : round_up(int4_mma_fragment_bytes(static_cast<int>(first_pass), num_in), 256);
  void* scratch = nullptr;
  if (gathered_bytes + fragment_bytes + partial_bytes > 0) {
    FOVEA_ASSIGN_OR_RETURN(scratch,
                           stream.scratch(static_cast<size_t>(gathered_bytes + fragment_bytes + partial_bytes)));
  }
  Int4MmaArgs args;
  args.codes = device_pointer<const uint32_t>(w.values);
  args.code_stride_words = w.values.stride_rows();
  args.scales = device_pointer<const float>(q.scales);
  args.scale_stride = q.scales.stride_rows();
  if (q.has_zeros()) {
    args.zeros = device_pointer<const uint8_t>(q.zeros);
    args.zero_stride = q.zeros.stride_rows();
  }
  args.tiles_per_group = q.group_size / kInt4MmaTileK;
  const char* x_base = static_cast<const char*>(device_address(x));
  args.x_stride = x.stride_rows();
  if (gather) {
    const DeviceView gathered{scratch, ElemType::kBF16, num_rows, num_in, num_in};
    const int32_t* order = q.has_column_order() ? device_pointer<const int32_t>(q.column_order) : nullptr;
    FOVEA_RETURN_IF_ERROR(cuda_status(launch_quant_gather_x(device_view(x), order, gathered, stream.handle()),
                                      "quantized linear (x)"));
    x_base = static_cast<const char*>(scratch);
    args.x_stride = num_in;
  }
  args.y_stride = y.stride_rows();
  args.y_type = elem_type(y.dtype);  // bf16, or f32 for the unrounded sums
  args.bias = bias_at(bias, 0);
  args.bias_type = bias != nullptr ? elem_type(bias->dtype) : ElemType::kF32;
  args.n = num_out;
  args.num_tiles = num_in / kInt4MmaTileK;
  if (decode_kernel) {
    args.m = static_cast<int>(num_rows);
    args.x = x_base;
    args.y = device_address(y);
    return cuda_status(launch_int4_stream(args, num_sms, stream.handle()), "quantized linear (int4 decode)");
  }
  args.x_fragments = reinterpret_cast<uint4*>(static_cast<char*>(scratch) + gathered_bytes);
  args.partial = partial_bytes > 0
                     ? reinterpret_cast<float*>(static_cast<char*>(scratch) + gathered_bytes + fragment_bytes)
                     : nullptr;
  for (int64_t row_begin = 0; row_begin < num_rows; row_begin += kInt4MmaMaxRows) {
    const int64_t pass_rows = std::min<int64_t>(kInt4MmaMaxRows, num_rows - row_begin);
    const Int4MmaSplit split = int4_mma_split(num_sms, pass_rows, num_out, num_in);
    args.m = static_cast<int>(pass_rows);
    args.num_splits = split.num_splits;
    args.tiles_per_split = split.tiles_per_split;
    args.x = x_base + row_begin * args.x_stride * 2;
    args.y = static_cast<char*>(device_address(y)) + row_begin * args.y_stride * y.element_size_bytes();
    FOVEA_RETURN_IF_ERROR(cuda_status(launch_int4_mma(args, stream.handle()), "quantized linear (int4 mma)"));
  }
  return base::Status();
}

// cuBLASLt operand dtype that holds both x and the dequantised weights exactly.
DType gemm_dtype(DType x_dtype, DType dequant_dtype) {
  if (x_dtype != DType::kF32 && x_dtype == dequant_dtype) return x_dtype;
  return DType::kF32;
}

base::Status run_gemm(CudaStream& stream, CublasLtGemm& gemm, const Tensor& x, const Weight& w, const Tensor* bias,
                      const Tensor& y) {
  const int64_t num_rows = x.dim(0);
  const int64_t num_out = w.out_features();
  const int64_t num_in = w.in_features();
  const QuantWeightArgs weight = weight_args(w);
  const DType operand = gemm_dtype(x.dtype, w.quant.dequant_dtype);
  const int64_t operand_bytes = tensor::dtype_size_bytes(operand);
  const int64_t padded_in = round_up(num_in, 8);  // 16-byte aligned operand rows
  const bool gather_x = w.quant.has_column_order() || operand != x.dtype;
  // 16-byte int4 -> bf16 dequantisation: whole 32-column units inside one group, 16-byte aligned rows.
  const bool fast_dequant = int4_tensor_cores() && w.format == WeightFormat::kInt4 &&
                            operand == DType::kBF16 && w.quant.scale_block_rows == 1 && num_in % 32 == 0 &&
                            w.quant.group_size % 32 == 0 && aligned16(weight.values) &&
                            weight.row_stride_bytes % 16 == 0;
  // cuBLASLt writes y itself unless an fp32 product needs our epilogue: a bias into a 16-bit y (its epilogue would
  // round twice), or f32 operands with a 16-bit y.
  const bool direct = bias == nullptr ? (operand != DType::kF32 || y.dtype == DType::kF32)
                                      : (y.dtype == DType::kF32 && bias->dtype == DType::kF32);
  const int64_t fit_rows = std::max<int64_t>(kTileRowAlign, kTileBytes / (padded_in * operand_bytes) /
                                                                kTileRowAlign * kTileRowAlign);
  const int64_t tile_rows = std::min(num_out, fit_rows);
  int64_t chunk_rows = num_rows;
  if (gather_x) chunk_rows = std::min(chunk_rows, std::max<int64_t>(1, kGatheredXBytes / (padded_in * operand_bytes)));
  if (!direct) chunk_rows = std::min(chunk_rows, std::max<int64_t>(1, kProductBytes / (tile_rows * 4)));
  const auto aligned = [](int64_t bytes) { return static_cast<size_t>(round_up(bytes, 256)); };
  const size_t x_offset = CublasLtGemm::kWorkspaceBytes;
  const size_t tile_offset = x_offset + (gather_x ? aligned(chunk_rows * padded_in * operand_bytes) : 0);
  const size_t product_offset = tile_offset + aligned(tile_rows * padded_in * operand_bytes);
  const size_t total = product_offset + (direct ? 0 : aligned(chunk_rows * tile_rows * 4));
  FOVEA_ASSIGN_OR_RETURN(void* scratch, stream.scratch(total));
  char* base = static_cast<char*>(scratch);
  const ElemType operand_type = elem_type(operand);
  for (int64_t row_begin = 0; row_begin < num_rows; row_begin += chunk_rows) {
    const int64_t rows = std::min(chunk_rows, num_rows - row_begin);
    DeviceView x_rows = sub_view(x, row_begin, rows, 0, num_in);
    if (gather_x) {
      const DeviceView gathered{base + x_offset, operand_type, rows, num_in, padded_in};
      FOVEA_RETURN_IF_ERROR(cuda_status(
          launch_quant_gather_x(x_rows, weight.column_order, gathered, stream.handle()), "quantized linear (x)"));
      x_rows = gathered;
    }
    for (int64_t n_begin = 0; n_begin < num_out; n_begin += tile_rows) {
      const int64_t cols = std::min(tile_rows, num_out - n_begin);
      const DeviceView tile{base + tile_offset, operand_type, cols, num_in, padded_in};
      if (fast_dequant) {
        Int4DequantArgs dequant;
        dequant.codes = reinterpret_cast<const uint32_t*>(weight.values);
        dequant.code_stride_words = weight.row_stride_bytes / 4;
        dequant.scales = weight.scales;
        dequant.scale_stride = weight.scale_stride;
        dequant.zeros = weight.zeros;
        dequant.zero_stride = weight.zero_stride;
        dequant.group_size = weight.group_size;
        dequant.k = num_in;
        dequant.row_begin = n_begin;
        dequant.out_rows = cols;
        dequant.out = tile.data;
        dequant.out_stride = padded_in;
        FOVEA_RETURN_IF_ERROR(cuda_status(launch_int4_dequantize_bf16(dequant, stream.handle()),
                                          "quantized linear (dequantise)"));
      } else {
        FOVEA_RETURN_IF_ERROR(cuda_status(launch_quant_dequantize(weight, n_begin, tile, stream.handle()),
                                          "quantized linear (dequantise)"));
      }
      LinearArgs args;
      args.x = x_rows;
      args.w = tile;
      args.y = sub_view(y, row_begin, rows, n_begin, cols);
      args.bias = bias_at(bias, n_begin);
      args.bias_type = bias != nullptr ? elem_type(bias->dtype) : ElemType::kF32;
      args.m = rows;
      args.n = cols;
      args.k = num_in;
      GemmProblem problem;
      problem.ab_type = cuda_data_type(operand);
      problem.m = rows;
      problem.n = cols;
      problem.k = num_in;
      problem.x = x_rows.data;
      problem.ld_x = x_rows.stride_rows;
      problem.w = tile.data;
      problem.ld_w = padded_in;
      float* product = reinterpret_cast<float*>(base + product_offset);
      if (direct) {
        problem.d_type = cuda_data_type(y.dtype);
        problem.y = args.y.data;
        problem.ld_y = y.stride_rows();
        problem.bias = args.bias;
      } else {
        problem.d_type = CUDA_R_32F;
        problem.y = product;
        problem.ld_y = cols;
      }
      const base::Status status = gemm.run(problem, stream.handle(), scratch);
      if (status.ok()) {
        if (!direct) {
          FOVEA_RETURN_IF_ERROR(
              cuda_status(launch_linear_epilogue(args, product, stream.handle()), "quantized linear (epilogue)"));
        }
        continue;
      }
      if (status.code() != base::StatusCode::kUnsupported) return status;
      FOVEA_RETURN_IF_ERROR(cuda_status(launch_linear_simt(args, stream.handle()), "quantized linear (SIMT)"));
    }
  }
  return base::Status();
}

}  // namespace

base::Status quantized_linear(CudaStream& stream, CublasLtGemm& gemm, int num_sms, Device device, const Tensor& x,
                              const Weight& w, const Tensor* bias, const Tensor& y) {
  FOVEA_RETURN_IF_ERROR(check_quantized_linear(device, x, w, bias, y));
  if (x.dim(0) == 0 || w.out_features() == 0) return base::Status();
  if (w.in_features() == 0) {
    LinearArgs args;
    args.y = device_view(y);
    args.bias = bias_at(bias, 0);
    args.bias_type = bias != nullptr ? elem_type(bias->dtype) : ElemType::kF32;
    args.m = x.dim(0);
    args.n = w.out_features();
    return cuda_status(launch_linear_epilogue(args, nullptr, stream.handle()), "quantized linear (bias only)");
  }
  if (x.dim(0) <= kInt4MmaLinearRows && int4_mma_applies(x, w)) return run_int4_mma(stream, num_sms, x, w, bias, y);
  if (x.dim(0) <= kQuantGemvPassRows) return run_gemv(stream, num_sms, x, w, bias, y);
  return run_gemm(stream, gemm, x, w, bias, y);
}

void set_int4_kernel(Int4Kernel kernel) { int4_kernel.store(kernel, std::memory_order_relaxed); }

}  // namespace fovea::backend::cuda
