// CUDA quantized linear (int4 / int8 / fp8 Weights in the repacked layout of docs/QUANT.md) against the CPU
// reference on random codes, scales, zero points and act-order permutations: the GEMV at decode sizes (with and
// without split-K, two passes past 8 rows), dequantise + cuBLASLt at prefill sizes, groups 32/64/128, per channel,
// per tensor and 128x128 fp8 blocks, sizes off every tile and word, unaligned int8 rows, scales that are and are not
// exact in the dequant dtype, bias dtypes; the int4 tensor-core path (bf16 x, groups of 128) at 1..512 rows in the
// symmetric (compressed-tensors), zero-point (AWQ) and act-order (GPTQ) forms, every decode kernel behind the timing
// switch at 1..16 rows, and the dequantisation bit for bit; an f32 y for bf16/f16 x on every path (fp32-tight, and
// where the kernels are ours its rounding equals the bf16 y bit for bit);
// plus refusals, a bad column order, and no scratch growth in a warm loop.
#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <numeric>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/quant_linear.h"
#include "cuda_op_test_util.h"
#include "tensor/float_convert.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

struct QuantCase {
  WeightFormat format;
  int64_t rows;        // M
  int64_t in;          // K
  int64_t out;         // N
  int64_t group_size;  // <= 0: per channel (K)
  int64_t block_rows;  // scale rows per block: 1, 128 (fp8 blocks) or N (per tensor)
  bool zeros;
  bool act_order;
  DType dequant_dtype;
  DType x_dtype;
  std::optional<DType> bias_dtype = std::nullopt;
  bool exact_scales = true;      // scales representable in the dequant dtype, as checkpoints store them
  int64_t code_row_padding = 0;  // int8/fp8: bytes after each row of codes (odd: rows not word-aligned)
  int64_t x_row_padding = 3;     // elements after each x row (3: the int4 tensor-core path gathers x first)
};

// fp32 sums and one rounding against the fp64 reference (the dense linear's bounds for one rounding).
double quant_nmse(DType dtype) {
  switch (dtype) {
    case DType::kBF16:
      return 1e-6;
    case DType::kF16:
      return 1e-8;
    default:
      return 1e-10;
  }
}

float round_scale(float value, DType dtype) {
  if (dtype == DType::kBF16) return tensor::round_to_bf16(value);
  if (dtype == DType::kF16) return tensor::round_to_f16(value);
  return value;
}

// The host tensors of one random quantized weight; on(side) is the Weight over that side's memory.
struct HostWeight {
  QuantCase c;
  std::unique_ptr<GuardedTensor> values;
  std::unique_ptr<GuardedTensor> scales;
  std::unique_ptr<GuardedTensor> zeros;
  std::unique_ptr<GuardedTensor> order;

  Weight on(Side& side) const {
    Weight w;
    w.format = c.format;
    w.values = side(values->view());
    w.quant.in_features = c.in;
    w.quant.group_size = c.group_size > 0 ? c.group_size : c.in;
    w.quant.scale_block_rows = c.block_rows;
    w.quant.dequant_dtype = c.dequant_dtype;
    w.quant.scales = side(scales->view());
    if (zeros) w.quant.zeros = side(zeros->view());
    if (order) w.quant.column_order = side(order->view());
    return w;
  }
};

std::string describe(const QuantCase& c) {
  const char* format = c.format == WeightFormat::kInt4 ? "int4" : c.format == WeightFormat::kInt8 ? "int8" : "fp8";
  std::string what = std::string(format) + " " + std::to_string(c.rows) + "x" + std::to_string(c.in) + "->" +
                     std::to_string(c.out) + " group " + (c.group_size > 0 ? std::to_string(c.group_size) : "K");
  if (c.block_rows > 1) what += " block_rows " + std::to_string(c.block_rows);
  if (c.zeros) what += " zeros";
  if (c.act_order) what += " act-order";
  if (!c.exact_scales) what += " f32-scales";
  if (c.code_row_padding > 0) what += " padded-rows";
  what +=
      " dq " + std::string(tensor::dtype_name(c.dequant_dtype)) + " x " + std::string(tensor::dtype_name(c.x_dtype));
  if (c.bias_dtype) what += " bias " + std::string(tensor::dtype_name(*c.bias_dtype));
  return what;
}

class CudaQuantLinearTest : public CudaOpsTest {
 protected:
  HostWeight random_weight(const QuantCase& c) {
    HostWeight w;
    w.c = c;
    const int64_t group_size = c.group_size > 0 ? c.group_size : c.in;
    const int64_t num_groups = (c.in + group_size - 1) / group_size;
    std::uniform_int_distribution<int> byte(0, 255);
    if (c.format == WeightFormat::kInt4) {
      const int64_t words = (c.in + 7) / 8;
      w.values = std::make_unique<GuardedTensor>(make(DType::kI32, {c.out, words}));
      std::vector<int32_t> codes(static_cast<size_t>(c.out * words));
      for (int32_t& value : codes) {
        value = static_cast<int32_t>(static_cast<uint32_t>(byte(rng_)) | static_cast<uint32_t>(byte(rng_)) << 8 |
                                     static_cast<uint32_t>(byte(rng_)) << 16 | static_cast<uint32_t>(byte(rng_)) << 24);
      }
      w.values->fill_i32(codes);
    } else {
      const DType dtype = c.format == WeightFormat::kInt8 ? DType::kU8 : DType::kF8E4M3;
      w.values = std::make_unique<GuardedTensor>(make(dtype, {c.out, c.in}, c.code_row_padding));
      const Tensor& view = w.values->view();
      for (int64_t row = 0; row < c.out; ++row) {
        auto* codes = reinterpret_cast<uint8_t*>(view.host_bytes()) + row * view.stride_rows();
        for (int64_t col = 0; col < c.in; ++col) {
          uint8_t value = static_cast<uint8_t>(byte(rng_));
          if (c.format == WeightFormat::kFp8 && (value & 0x7f) == 0x7f) value = 0x38;  // no NaN weights
          codes[col] = value;
        }
      }
    }
    const int64_t scale_rows = (c.out + c.block_rows - 1) / c.block_rows;
    std::uniform_real_distribution<float> scale(0.002f, 0.03f);
    std::vector<float> scales(static_cast<size_t>(scale_rows * num_groups));
    for (float& value : scales) value = c.exact_scales ? round_scale(scale(rng_), c.dequant_dtype) : scale(rng_);
    w.scales = std::make_unique<GuardedTensor>(make(DType::kF32, {scale_rows, num_groups}));
    w.scales->fill(scales);
    if (c.zeros) {
      w.zeros = std::make_unique<GuardedTensor>(make(DType::kU8, {c.out, num_groups}));
      std::uniform_int_distribution<int> zero(0, c.format == WeightFormat::kInt4 ? 15 : 255);
      const Tensor& view = w.zeros->view();
      auto* bytes = reinterpret_cast<uint8_t*>(view.host_bytes());
      for (int64_t idx = 0; idx < c.out * num_groups; ++idx) bytes[idx] = static_cast<uint8_t>(zero(rng_));
    }
    if (c.act_order) {
      std::vector<int32_t> order(static_cast<size_t>(c.in));
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng_);
      w.order = std::make_unique<GuardedTensor>(make(DType::kI32, {c.in}));
      w.order->fill_i32(order);
    }
    return w;
  }

  // y_dtype: x's when not given.
  void run(const QuantCase& c, std::optional<DType> y_dtype = std::nullopt) {
    const DType out_dtype = y_dtype.value_or(c.x_dtype);
    const HostWeight weight = random_weight(c);
    GuardedTensor x = random(c.x_dtype, {c.rows, c.in}, -1.0f, 1.0f, c.x_row_padding);
    GuardedTensor bias = random(c.bias_dtype.value_or(DType::kBF16), {c.out});
    check(
        "quant_linear", describe(c) + (y_dtype ? " y " + std::string(tensor::dtype_name(out_dtype)) : ""), out_dtype,
        {c.rows, c.out}, quant_nmse(out_dtype),
        [&](Side& s, const Tensor& y) {
          const Weight w = weight.on(s);
          const Tensor b = s(bias.view());
          return s.ops().linear(s.stream(), s(x.view()), w, c.bias_dtype ? &b : nullptr, y);
        },
        5);
  }

  // The GPU's f32 y of `c` rounded to x's dtype equals its x-dtype y bit for bit (same kernel, same summation
  // order), and most f32 values are not representable in x's dtype (neither output was rounded on the way).
  void expect_f32_rounds_to_x_dtype(const QuantCase& c) {
    SCOPED_TRACE(describe(c) + " f32 y rounded");
    const HostWeight weight = random_weight(c);
    GuardedTensor x = random(c.x_dtype, {c.rows, c.in}, -1.0f, 1.0f, c.x_row_padding);
    GuardedTensor bias = random(c.bias_dtype.value_or(DType::kBF16), {c.out});
    GuardedTensor y32 = make(DType::kF32, {c.rows, c.out}, 3);
    GuardedTensor y16 = make(c.x_dtype, {c.rows, c.out}, 5);
    Side device = device_side();
    const Weight w = weight.on(device);
    const Tensor b = device(bias.view());
    const Tensor* bias_view = c.bias_dtype ? &b : nullptr;
    FOVEA_ASSERT_OK(device.ops().linear(device.stream(), device(x.view()), w, bias_view, device(y32.view())));
    FOVEA_ASSERT_OK(device.ops().linear(device.stream(), device(x.view()), w, bias_view, device(y16.view())));
    FOVEA_ASSERT_OK(device.fetch(y32.view()));
    FOVEA_ASSERT_OK(device.fetch(y16.view()));
    const std::vector<float> wide = y32.read();
    const std::vector<float> narrow = y16.read();
    int64_t num_unrepresentable = 0;
    int64_t num_mismatches = 0;
    for (size_t idx = 0; idx < wide.size(); ++idx) {
      const float rounded = round_scale(wide[idx], c.x_dtype);
      if (rounded != wide[idx]) ++num_unrepresentable;
      if (std::bit_cast<uint32_t>(rounded) != std::bit_cast<uint32_t>(narrow[idx]) && num_mismatches++ < 5) {
        ADD_FAILURE() << "element " << idx << ": f32 " << wide[idx] << " rounds to " << rounded << ", the "
                      << tensor::dtype_name(c.x_dtype) << " y is " << narrow[idx];
      }
    }
    EXPECT_GT(num_unrepresentable, static_cast<int64_t>(wide.size()) / 2);
    EXPECT_TRUE(y32.guards_intact());
    EXPECT_TRUE(y16.guards_intact());
  }
};

constexpr WeightFormat kInt4 = WeightFormat::kInt4;
constexpr WeightFormat kInt8 = WeightFormat::kInt8;
constexpr WeightFormat kFp8 = WeightFormat::kFp8;

TEST_F(CudaQuantLinearTest, Int4GroupsZerosAndActOrderAtEveryBatchSize) {
  for (int64_t group : {32, 64, 128}) {
    run({kInt4, 1, 1024, 67, group, 1, false, false, DType::kBF16, DType::kBF16});
    run({kInt4, 3, 1030, 130, group, 1, true, false, DType::kF16, DType::kF32, DType::kBF16});
    run({kInt4, 17, 512, 129, group, 1, true, true, DType::kBF16, DType::kBF16, DType::kF32});
    run({kInt4, 300, 520, 200, group, 1, group == 64, true, DType::kBF16, DType::kBF16});
  }
}

TEST_F(CudaQuantLinearTest, Int4PerChannelOddSizesAndSplitK) {
  run({kInt4, 12, 768, 96, 0, 1, true, false, DType::kF32, DType::kF16});  // two GEMV passes (8 + 4 rows)
  run({kInt4, 1, 100, 9, 0, 1, true, false, DType::kF16, DType::kF32});    // K not a multiple of 8
  run({kInt4, 5, 2100, 40, 0, 1, false, false, DType::kBF16, DType::kBF16, DType::kBF16});
  run({kInt4, 2, 4224, 65, 128, 1, false, true, DType::kBF16, DType::kBF16, DType::kBF16});
  run({kInt4, 8, 640, 70, 20, 1, true, false, DType::kBF16, DType::kBF16});  // groups that split words
  run({kInt4, 1, 5, 3, 0, 1, false, false, DType::kBF16, DType::kBF16, DType::kF32});
}

TEST_F(CudaQuantLinearTest, Int4ScalesOutsideTheDequantDtype) {
  run({kInt4, 1, 256, 33, 32, 1, false, false, DType::kBF16, DType::kBF16, std::nullopt, false});
  run({kInt4, 4, 256, 33, 64, 1, true, false, DType::kF16, DType::kF16, std::nullopt, false});
  run({kInt4, 20, 256, 33, 64, 1, true, false, DType::kBF16, DType::kBF16, std::nullopt, false});
}

TEST_F(CudaQuantLinearTest, Int4PrefillOperandDtypes) {
  run({kInt4, 40, 384, 70, 32, 1, true, false, DType::kF16, DType::kBF16});  // f32 operands
  run({kInt4, 300, 1000, 257, 128, 1, true, false, DType::kF16, DType::kF16, DType::kF16});
  run({kInt4, 33, 256, 64, 64, 1, false, true, DType::kBF16, DType::kF32, DType::kF32});
}

TEST_F(CudaQuantLinearTest, Int8ChannelGroupsAndUnalignedRows) {
  run({kInt8, 1, 300, 77, 0, 1, false, false, DType::kBF16, DType::kBF16});
  run({kInt8, 4, 256, 40, 64, 1, true, true, DType::kF16, DType::kF16, DType::kF16});
  run({kInt8, 33, 96, 129, 32, 1, true, false, DType::kBF16, DType::kF32});
  run({kInt8, 3, 301, 50, 30, 1, true, false, DType::kBF16, DType::kBF16, std::nullopt, true, 1});
  run({kInt8, 17, 301, 50, 0, 1, false, false, DType::kBF16, DType::kBF16, std::nullopt, true, 3});
  run({kInt8, 300, 512, 130, 128, 1, false, false, DType::kBF16, DType::kBF16, DType::kBF16});
  run({kInt8, 2, 3000, 48, 128, 1, true, false, DType::kBF16, DType::kBF16});  // split-K
}

TEST_F(CudaQuantLinearTest, Fp8ChannelTensorAndBlocks) {
  run({kFp8, 1, 200, 70, 0, 1, false, false, DType::kBF16, DType::kBF16});
  run({kFp8, 2, 300, 130, 128, 128, false, false, DType::kF32, DType::kBF16, DType::kBF16});
  run({kFp8, 17, 300, 257, 128, 128, false, false, DType::kF32, DType::kBF16});
  run({kFp8, 300, 129, 257, 128, 128, false, false, DType::kF32, DType::kF32});
  run({kFp8, 3, 64, 19, 0, 19, false, false, DType::kF16, DType::kF16});  // per tensor
  run({kFp8, 8, 1000, 300, 128, 128, false, false, DType::kBF16, DType::kBF16});
  run({kFp8, 300, 640, 384, 128, 128, false, false, DType::kBF16, DType::kBF16, DType::kF32});
  run({kFp8, 1, 301, 50, 128, 128, false, false, DType::kF32, DType::kBF16, std::nullopt, true, 1});
}

// The int4 tensor-core kernel (bf16 x, K and group multiples of 128) at every pass size: 1..64 rows in one launch
// (1, 2, 4 or 8 token fragments), 65..128 in two passes, past that dequantise + cuBLASLt with the 16-byte
// dequantisation.
// N off every 64/128-row block; K split or not. Same NMSE bound as the GEMV: fp32 sums (tensor-core products of
// bf16 values are exact), one rounding to bf16.
TEST_F(CudaQuantLinearTest, Int4TensorCoresAtEveryPassSize) {
  const DType bf16 = DType::kBF16;
  for (int64_t rows : {1, 3, 8, 9, 16, 17, 32, 33, 64, 65, 128, 129, 512}) {
    // compressed-tensors pack-quantized symmetric, x rows 16-byte aligned (no gather)
    run({kInt4, rows, 512, 200, 128, 1, false, false, bf16, bf16, std::nullopt, true, 0, 0});
    // AWQ: zero points, bf16 bias
    run({kInt4, rows, 1024, 136, 128, 1, true, false, bf16, bf16, bf16, true, 0, 8});
    // GPTQ act-order with zero points, f32 bias (x gathered through column_order)
    run({kInt4, rows, 384, 72, 128, 1, true, true, bf16, bf16, DType::kF32});
  }
}

TEST_F(CudaQuantLinearTest, Int4TensorCoresGroupsSplitsAndInexactScales) {
  const DType bf16 = DType::kBF16;
  for (int64_t rows : {1, 17, 64}) {
    run({kInt4, rows, 1024, 96, 256, 1, true, false, bf16, bf16, std::nullopt, true, 0, 0});  // group 256
    run({kInt4, rows, 640, 130, 0, 1, false, false, bf16, bf16, bf16, true, 0, 0});           // per channel
    run({kInt4, rows, 8192, 48, 128, 1, true, false, bf16, bf16, std::nullopt, true, 0, 0});  // split K
    run({kInt4, rows, 256, 33, 128, 1, true, false, bf16, bf16, std::nullopt, false, 0, 0});  // f32 scales
  }
}

// Both int4 decode kernels behind the timing switch (the default picks between them by N), at 1..16 rows:
// symmetric, AWQ zero points with a bias, GPTQ act-order, group 256, f32 scales (the element path), K from 3 k
// tiles (fewer warps than 4) to 64, N off every 16/32-row block.
TEST_F(CudaQuantLinearTest, Int4DecodeKernelsAtOneToSixteenRows) {
  const DType bf16 = DType::kBF16;
  struct ResetKernel {
    ~ResetKernel() { cuda::set_int4_kernel(cuda::Int4Kernel::kAuto); }
  } reset;
  for (const cuda::Int4Kernel kernel : {cuda::Int4Kernel::kMma, cuda::Int4Kernel::kStream}) {
    cuda::set_int4_kernel(kernel);
    for (int64_t rows : {1, 2, 5, 8, 9, 16}) {
      run({kInt4, rows, 512, 200, 128, 1, false, false, bf16, bf16, std::nullopt, true, 0, 0});
      run({kInt4, rows, 1024, 136, 128, 1, true, false, bf16, bf16, bf16, true, 0, 8});
      run({kInt4, rows, 384, 72, 128, 1, true, true, bf16, bf16, DType::kF32});
      run({kInt4, rows, 1024, 96, 256, 1, true, false, bf16, bf16, std::nullopt, true, 0, 0});
      run({kInt4, rows, 8192, 48, 128, 1, false, false, bf16, bf16, std::nullopt, true, 0, 0});
      run({kInt4, rows, 256, 33, 128, 1, true, false, bf16, bf16, std::nullopt, false, 0, 0});
    }
  }
}

// One-hot x rows pick single weights: y = dequant(W)[n, k] with no sum to round, so the tensor-core path's
// dequantisation (and its nibble / x permutation) must equal the CPU's bit for bit: both decode kernels at 1..16
// rows (the x-fragment kernel, then the one-launch kernel), the x-fragment kernel alone above.
TEST_F(CudaQuantLinearTest, Int4TensorCoresDequantiseBitForBit) {
  struct ResetKernel {
    ~ResetKernel() { cuda::set_int4_kernel(cuda::Int4Kernel::kAuto); }
  } reset;
  for (const cuda::Int4Kernel kernel : {cuda::Int4Kernel::kMma, cuda::Int4Kernel::kStream}) {
    cuda::set_int4_kernel(kernel);
    for (bool zeros : {false, true}) {
      for (int64_t rows : {1, 8, 16, 64}) {
        const QuantCase c{kInt4, rows, 256, 130, 128, 1, zeros, false, DType::kBF16, DType::kBF16};
        const HostWeight weight = random_weight(c);
        GuardedTensor x = make(DType::kBF16, {rows, c.in});
        std::vector<float> one_hot(static_cast<size_t>(rows * c.in), 0.0f);
        for (int64_t row = 0; row < rows; ++row) one_hot[static_cast<size_t>(row * c.in + (row * 37) % c.in)] = 1.0f;
        x.fill(one_hot);
        check("quant_linear", describe(c) + " one-hot", DType::kBF16, {rows, c.out}, 0.0,
              [&](Side& s, const Tensor& y) {
                return s.ops().linear(s.stream(), s(x.view()), weight.on(s), nullptr, y);
              });
      }
    }
  }
}

// f32 y for a bf16/f16 x (the partial sums tensor-parallel ranks all-reduce) at 1, 7, 16, 64, 200 and 2048 rows:
// at up to 16 rows each of the three decode paths behind the switch (x-fragment kernel, one-launch narrow-N kernel,
// GEMV), split-K (the int4 reduce and the GEMV reduce), the x-fragment kernel at 64 rows, dequantise + cuBLASLt
// (16-byte int4 dequantisation, f32 and 16-bit operands) above; int4 symmetric / AWQ / GPTQ, int8 and fp8, with
// and without bias. Against the CPU reference's f32 y at the f32 bound (a bf16 rounding on the way misses it by
// ~10^4); where the kernels are ours (int4 tensor cores up to 128 rows, the GEMV up to 16), rounding the f32 y
// must give the bf16/f16 y bit for bit.
TEST_F(CudaQuantLinearTest, F32OutputOnEveryPath) {
  const DType bf16 = DType::kBF16;
  const DType f16 = DType::kF16;
  struct ResetKernel {
    ~ResetKernel() { cuda::set_int4_kernel(cuda::Int4Kernel::kAuto); }
  } reset;
  for (int64_t rows : {1, 7, 16, 64, 200, 2048}) {
    const bool huge = rows == 2048;  // keep the fp64 reference cheap: K * N small
    std::vector<cuda::Int4Kernel> kernels = {cuda::Int4Kernel::kAuto};
    if (rows <= 16) kernels = {cuda::Int4Kernel::kMma, cuda::Int4Kernel::kStream, cuda::Int4Kernel::kGemv};
    for (const cuda::Int4Kernel kernel : kernels) {
      cuda::set_int4_kernel(kernel);
      std::vector<QuantCase> int4_cases = {
          // compressed-tensors symmetric, AWQ zero points + bf16 bias, GPTQ act-order + f32 bias
          {kInt4, rows, huge ? 256 : 512, huge ? 72 : 200, 128, 1, false, false, bf16, bf16, std::nullopt, true, 0, 0},
          {kInt4, rows, huge ? 256 : 1024, 136, 128, 1, true, false, bf16, bf16, bf16, true, 0, 8},
          {kInt4, rows, 384, huge ? 40 : 72, 128, 1, true, true, bf16, bf16, DType::kF32},
      };
      if (!huge) {  // split K (the int4 reduce kernel, or the GEMV's)
        int4_cases.push_back({kInt4, rows, 8192, 48, 128, 1, false, false, bf16, bf16, bf16, true, 0, 0});
      }
      for (const QuantCase& c : int4_cases) run(c, DType::kF32);
      if (rows <= 128) {
        for (const QuantCase& c : int4_cases) expect_f32_rounds_to_x_dtype(c);
      }
    }
    cuda::set_int4_kernel(cuda::Int4Kernel::kAuto);
    const std::vector<QuantCase> other_cases = {
        {kInt4, rows, huge ? 256 : 1030, 130, 64, 1, true, false, f16, f16, bf16},  // f16 x: GEMV, f16 operands
        {kInt4, rows, 384, 70, 32, 1, true, false, bf16, f16},                      // f32 operands
        {kInt8, rows, 300, huge ? 40 : 77, 0, 1, true, false, bf16, bf16, DType::kF32},
        {kFp8, rows, 300, huge ? 40 : 130, 128, 128, false, false, DType::kF32, bf16, bf16},
        {kFp8, rows, 64, 19, 0, 19, false, false, f16, f16},  // per tensor
    };
    for (const QuantCase& c : other_cases) run(c, DType::kF32);
    if (!huge) run({kInt8, rows, 3000, 48, 128, 1, true, false, bf16, bf16}, DType::kF32);  // GEMV split-K
    if (rows <= 16) {
      for (const QuantCase& c : other_cases) expect_f32_rounds_to_x_dtype(c);
    }
  }
}

TEST_F(CudaQuantLinearTest, RefusesOtherOutputDtypes) {
  const HostWeight weight = random_weight({kInt4, 1, 64, 8, 32, 1, true, false, DType::kBF16, DType::kBF16});
  Side device = device_side();
  const Weight w = weight.on(device);
  for (const auto& [x_dtype, y_dtype] : {std::pair{DType::kF32, DType::kBF16}, std::pair{DType::kBF16, DType::kF16}}) {
    GuardedTensor x = random(x_dtype, {1, 64});
    GuardedTensor y = make(y_dtype, {1, 8});
    const base::Status status = device.ops().linear(device.stream(), device(x.view()), w, nullptr, device(y.view()));
    EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
    EXPECT_NE(status.message().find(std::string(tensor::dtype_name(y_dtype))), std::string::npos) << status.to_string();
  }
}

TEST_F(CudaQuantLinearTest, BadWeightsAreRefused) {
  const HostWeight weight = random_weight({kInt4, 1, 64, 8, 32, 1, true, false, DType::kBF16, DType::kBF16});
  GuardedTensor x = random(DType::kBF16, {1, 64});
  GuardedTensor y = make(DType::kBF16, {1, 8});
  Side device = device_side();
  const Weight good = weight.on(device);
  Weight bad = good;
  bad.quant.group_size = 16;  // scales no longer match
  EXPECT_EQ(device.ops().linear(device.stream(), device(x.view()), bad, nullptr, device(y.view())).code(),
            base::StatusCode::kInvalidArgument);
  bad = good;
  bad.format = WeightFormat::kInt8;  // i32 words are not u8 codes
  EXPECT_EQ(device.ops().linear(device.stream(), device(x.view()), bad, nullptr, device(y.view())).code(),
            base::StatusCode::kInvalidArgument);
  GuardedTensor wrong_x = random(DType::kBF16, {1, 63});
  EXPECT_EQ(device.ops().linear(device.stream(), device(wrong_x.view()), good, nullptr, device(y.view())).code(),
            base::StatusCode::kInvalidArgument);
  Side host = host_side();
  EXPECT_EQ(device.ops().linear(device.stream(), device(x.view()), weight.on(host), nullptr, device(y.view())).code(),
            base::StatusCode::kInvalidArgument);  // host weights on the GPU
}

TEST_F(CudaQuantLinearTest, ColumnOrderOutsideKGivesNaNNotAFault) {
  for (int64_t rows : {1, 20}) {
    const HostWeight weight = random_weight({kInt4, rows, 64, 16, 32, 1, false, true, DType::kBF16, DType::kBF16});
    std::vector<int32_t> order = weight.order->read_i32();
    order[5] = 1 << 20;
    weight.order->fill_i32(order);
    GuardedTensor x = random(DType::kBF16, {rows, 64});
    GuardedTensor y = make(DType::kBF16, {rows, 16});
    y.fill(std::vector<float>(static_cast<size_t>(rows * 16), 0.0f));
    Side device = device_side();
    FOVEA_ASSERT_OK(
        device.ops().linear(device.stream(), device(x.view()), weight.on(device), nullptr, device(y.view())));
    FOVEA_ASSERT_OK(device.fetch(y.view()));
    for (float value : y.read()) EXPECT_TRUE(std::isnan(value));
    EXPECT_TRUE(y.guards_intact());
  }
}

TEST_F(CudaQuantLinearTest, WarmDecodeLoopDoesNotGrowScratch) {
  // 48 output rows and K = 4096: the GEMV splits K and needs partial sums in scratch.
  const HostWeight weight = random_weight({kInt4, 2, 4096, 48, 128, 1, true, false, DType::kBF16, DType::kBF16});
  GuardedTensor x = random(DType::kBF16, {2, 4096});
  GuardedTensor bias = random(DType::kF32, {48});
  GuardedTensor y = make(DType::kBF16, {2, 48});
  Side device = device_side();
  const Weight w = weight.on(device);
  const Tensor b = device(bias.view());
  int64_t growths = -1;
  for (int step = 0; step < 5; ++step) {
    FOVEA_ASSERT_OK(device.ops().linear(device.stream(), device(x.view()), w, &b, device(y.view())));
    if (step == 0) growths = cuda::CudaBackend::num_scratch_growths(device.stream());
  }
  FOVEA_ASSERT_OK(device.backend().synchronize(device.stream()));
  EXPECT_EQ(cuda::CudaBackend::num_scratch_growths(device.stream()), growths);
}

}  // namespace
}  // namespace fovea::backend::testing
