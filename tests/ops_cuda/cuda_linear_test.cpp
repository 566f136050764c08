// CUDA linear against the fp64 reference: cuBLASLt for x and W of one dtype (with and without its bias epilogue,
// and through the fp32 product + epilogue when the bias dtype differs), the SIMT kernel for mixed dtypes, batch 1,
// sizes off every tile, strided x, W and y, K == 0, unaligned views, an f32 y for bf16/f16 x on every path, and no
// scratch growth in a warm loop.
#include "backend/cuda/cuda_backend.h"
#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

struct LinearShape {
  int64_t rows;  // M
  int64_t in;    // K
  int64_t out;   // N
};

// fp32 accumulation against the fp64 reference: far below one rounding of the output dtype.
double linear_nmse(DType dtype) { return dtype == DType::kF32 ? 1e-10 : default_nmse(dtype); }

class CudaLinearTest : public CudaOpsTest {
 protected:
  // y_dtype: x's when not given.
  void run(LinearShape shape, DType x_dtype, DType w_dtype, std::optional<DType> bias_dtype,
           std::optional<double> max_nmse = std::nullopt, std::optional<DType> y_dtype = std::nullopt) {
    const DType out_dtype = y_dtype.value_or(x_dtype);
    const std::string what = std::to_string(shape.rows) + "x" + std::to_string(shape.in) + "->" +
                             std::to_string(shape.out) + " x " + std::string(tensor::dtype_name(x_dtype)) + " w " +
                             std::string(tensor::dtype_name(w_dtype)) +
                             (bias_dtype ? " bias " + std::string(tensor::dtype_name(*bias_dtype)) : "") +
                             (y_dtype ? " y " + std::string(tensor::dtype_name(out_dtype)) : "");
    GuardedTensor x = random(x_dtype, {shape.rows, shape.in}, -1.0f, 1.0f, 3);
    GuardedTensor w_values = random(w_dtype, {shape.out, shape.in}, -0.5f, 0.5f);
    GuardedTensor bias = random(bias_dtype.value_or(DType::kBF16), {shape.out});
    check(
        "linear", what, out_dtype, {shape.rows, shape.out}, max_nmse.value_or(linear_nmse(out_dtype)),
        [&](Side& s, const Tensor& y) {
          Weight w;
          w.values = s(w_values.view());
          const Tensor b = s(bias.view());
          return s.ops().linear(s.stream(), s(x.view()), w, bias_dtype ? &b : nullptr, y);
        },
        5);
  }
};

TEST_F(CudaLinearTest, EveryDtypePairAtDecodeAndPrefillSizes) {
  const LinearShape shapes[] = {{1, 1024, 67}, {2, 33, 130}, {3, 1, 5}, {8, 257, 64}, {37, 300, 129}};
  for (DType x_dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (DType w_dtype : {DType::kBF16, DType::kF16, DType::kF32}) {
      for (const LinearShape& shape : shapes) {
        run(shape, x_dtype, w_dtype, shape.rows % 2 == 1 ? std::optional<DType>(x_dtype) : std::nullopt);
      }
    }
  }
}

TEST_F(CudaLinearTest, SixteenBitProductsAreRoundedOnce) {
  // One rounding of the fp32 sum (plus bias) differs from the fp64 reference only where the fp32 sum lands on the
  // other side of a rounding boundary: far below the CPU tests' bound, which a second rounding (split-K parts added
  // in bf16, or a bias added after rounding) would exceed.
  const LinearShape shapes[] = {{20, 4100, 130}, {37, 300, 129}, {96, 1024, 200}, {256, 512, 130}};
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    const double bound = dtype == DType::kBF16 ? 1e-6 : 1e-8;
    for (const LinearShape& shape : shapes) {
      run(shape, dtype, dtype, std::nullopt, bound);
      run(shape, dtype, dtype, dtype, bound);
    }
  }
}

// f32 y for a bf16/f16 x (the partial sums tensor-parallel ranks all-reduce): cuBLASLt with an f32 output, the
// bias through its epilogue (f32 bias) or ours (16-bit bias), the SIMT kernel (f32 W), K == 0, against the
// reference's f32 y at the f32 bound, which a path that rounds to x's dtype on the way misses by ~10^4.
TEST_F(CudaLinearTest, F32OutputOfSixteenBitInputs) {
  for (int64_t rows : {1, 7, 16, 64, 200, 2048}) {
    const LinearShape shape{rows, rows == 2048 ? 256 : 1000, rows == 2048 ? 96 : 136};
    for (DType dtype : {DType::kBF16, DType::kF16}) {
      run(shape, dtype, dtype, std::nullopt, std::nullopt, DType::kF32);
      run(shape, dtype, dtype, DType::kF32, std::nullopt, DType::kF32);
      run(shape, dtype, dtype, dtype, std::nullopt, DType::kF32);
      if (rows <= 200) run(shape, dtype, DType::kF32, dtype, std::nullopt, DType::kF32);  // SIMT
    }
  }
  run({5, 0, 17}, DType::kBF16, DType::kBF16, DType::kBF16, std::nullopt, DType::kF32);
}

TEST_F(CudaLinearTest, RefusesOtherOutputDtypes) {
  GuardedTensor x = random(DType::kF32, {2, 64});
  GuardedTensor w_values = random(DType::kF32, {8, 64});
  GuardedTensor y = make(DType::kBF16, {2, 8});
  Side device = device_side();
  Weight w;
  w.values = device(w_values.view());
  const base::Status status = device.ops().linear(device.stream(), device(x.view()), w, nullptr, device(y.view()));
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
  EXPECT_NE(status.message().find("bf16"), std::string::npos) << status.to_string();
}

TEST_F(CudaLinearTest, BiasOfAnotherDtypeThanTheOutput) {
  run({5, 256, 96}, DType::kBF16, DType::kBF16, DType::kF32);
  run({1, 128, 33}, DType::kF16, DType::kF16, DType::kBF16);
  run({4, 64, 32}, DType::kF32, DType::kF32, DType::kBF16);
}

TEST_F(CudaLinearTest, Qwen3WidthsDecodeAndPrefill) {
  run({1, 1024, 3072}, DType::kBF16, DType::kBF16, std::nullopt);
  run({1, 4096, 151}, DType::kBF16, DType::kBF16, DType::kBF16);
  run({4, 3072, 1024}, DType::kBF16, DType::kBF16, std::nullopt);
  run({96, 1024, 1000}, DType::kF16, DType::kF16, std::nullopt);
  run({20, 4100, 130}, DType::kBF16, DType::kBF16, DType::kBF16);
  run({261, 40, 33}, DType::kBF16, DType::kF32, std::nullopt);
}

TEST_F(CudaLinearTest, EmptyInputFeaturesGiveTheBias) {
  run({3, 0, 17}, DType::kF32, DType::kBF16, DType::kBF16);
  run({12, 0, 17}, DType::kBF16, DType::kBF16, DType::kF32);
}

TEST_F(CudaLinearTest, StridedAndUnalignedViews) {
  // The first 70 columns of a [90, 100] matrix as a [90, 70] weight (row stride 100), and x starting one element
  // into its buffer (2-byte alignment): cuBLASLt must either handle it or leave it to the SIMT kernel.
  GuardedTensor big = random(DType::kBF16, {90, 100}, -0.5f, 0.5f);
  for (int64_t rows : {1, 20}) {
    GuardedTensor x_big = random(DType::kBF16, {rows, 71});
    check(
        "linear", "strided W, unaligned x, M=" + std::to_string(rows), DType::kBF16, {rows, 90},
        default_nmse(DType::kBF16),
        [&](Side& s, const Tensor& y) {
          Weight w;
          w.values = s(big.view()).slice_columns(0, 70);
          return s.ops().linear(s.stream(), s(x_big.view()).slice_columns(1, 70), w, nullptr, y);
        },
        3);
  }
}

TEST_F(CudaLinearTest, WarmDecodeLoopDoesNotGrowScratch) {
  GuardedTensor x = random(DType::kBF16, {1, 512});
  GuardedTensor w_values = random(DType::kBF16, {768, 512});
  GuardedTensor bias = random(DType::kF32, {768});
  GuardedTensor y = make(DType::kBF16, {1, 768});
  Side device = device_side();
  Weight w;
  w.values = device(w_values.view());
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
