// Fast CPU linear (AVX2 GEMV, portable GEMV, OpenBLAS GEMM over converted panels, AVX512_BF16 GEMV/GEMM where the
// CPU has it) against the fp64 reference: every weight dtype with every activation dtype, bias or not, batch 1,
// sizes off every tile and vector width, strided x and y, K beyond one depth block, M beyond one row chunk.
#include "op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

struct LinearShape {
  int64_t rows;  // M
  int64_t in;    // K
  int64_t out;   // N
};

// fp32 accumulation against the fp64 reference: NMSE grows with K but stays far below one bf16 rounding.
double linear_nmse(DType dtype) { return dtype == DType::kF32 ? 1e-10 : default_nmse(dtype); }

class LinearTest : public OpsTest {
 protected:
  void run(LinearShape shape, DType x_dtype, DType w_dtype, bool with_bias) {
    SCOPED_TRACE(::testing::Message() << shape.rows << "x" << shape.in << " -> " << shape.out << " x "
                                      << tensor::dtype_name(x_dtype) << " w " << tensor::dtype_name(w_dtype));
    GuardedTensor x = random(x_dtype, {shape.rows, shape.in}, -1.0f, 1.0f, 3);
    GuardedTensor w_values = random(w_dtype, {shape.out, shape.in}, -0.5f, 0.5f);
    GuardedTensor bias = random(DType::kBF16, {shape.out});
    Weight w;
    w.values = w_values.view();
    check_op(
        x_dtype, {shape.rows, shape.out}, linear_nmse(x_dtype),
        [&](Ops& ops, const Tensor& y) {
          return ops.linear(stream(), x.view(), w, with_bias ? &bias.view() : nullptr, y);
        },
        5);
  }
};

TEST_F(LinearTest, EveryDtypePairAtDecodeAndPrefillSizes) {
  const LinearShape shapes[] = {{1, 1024, 67}, {2, 33, 130}, {3, 1, 5}, {8, 257, 64}, {37, 300, 129}};
  for (DType x_dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (DType w_dtype : {DType::kBF16, DType::kF16, DType::kF32}) {
      for (const LinearShape& shape : shapes) run(shape, x_dtype, w_dtype, shape.rows % 2 == 1);
    }
  }
}

TEST_F(LinearTest, DecodeGemvAtQwen3Widths) {
  run({1, 1024, 3072}, DType::kBF16, DType::kBF16, false);
  run({1, 1024, 5003}, DType::kF32, DType::kBF16, false);
  run({4, 3072, 1024}, DType::kBF16, DType::kBF16, false);
}

TEST_F(LinearTest, GemmAcrossDepthBlocksAndRowChunks) {
  run({20, 4100, 130}, DType::kBF16, DType::kBF16, true);
  run({260, 70, 150}, DType::kF32, DType::kF16, true);
  run({261, 40, 33}, DType::kBF16, DType::kF32, false);
  run({300, 64, 70}, DType::kBF16, DType::kBF16, true);
}

TEST_F(LinearTest, EmptyInputFeaturesGiveTheBias) {
  run({3, 0, 17}, DType::kF32, DType::kBF16, true);
  run({12, 0, 17}, DType::kBF16, DType::kBF16, true);
}

TEST_F(LinearTest, StridedWeightView) {
  // The first 70 columns of a [90, 100] matrix as a [90, 70] weight (row stride 100).
  GuardedTensor big = random(DType::kBF16, {90, 100}, -0.5f, 0.5f);
  Weight w;
  w.values = big.view().slice_columns(0, 70);
  for (int64_t rows : {1, 20}) {
    GuardedTensor x = random(DType::kBF16, {rows, 70});
    check_op(DType::kBF16, {rows, 90}, default_nmse(DType::kBF16),
             [&](Ops& ops, const Tensor& y) { return ops.linear(stream(), x.view(), w, nullptr, y); });
  }
}

TEST_F(LinearTest, RejectsOverlappingOutputAndWrongShapes) {
  GuardedTensor x = random(DType::kF32, {2, 8});
  GuardedTensor w_values = random(DType::kBF16, {8, 8});
  Weight w;
  w.values = w_values.view();
  EXPECT_FALSE(reference_.linear(stream(), x.view(), w, nullptr, x.view()).ok());
  GuardedTensor wrong = make(DType::kF32, {2, 7});
  for (FastVariant& variant : variants_) {
    EXPECT_FALSE(variant.ops->linear(stream(), x.view(), w, nullptr, wrong.view()).ok());
    EXPECT_FALSE(variant.ops->linear(stream(), x.view(), w, nullptr, x.view()).ok());
  }
  EXPECT_TRUE(wrong.guards_intact());
}

TEST_F(LinearTest, WarmDecodeLoopDoesNotGrowScratch) {
  GuardedTensor x = random(DType::kBF16, {1, 512});
  GuardedTensor w_values = random(DType::kBF16, {700, 512});
  GuardedTensor y = make(DType::kBF16, {1, 700});
  Weight w;
  w.values = w_values.view();
  for (FastVariant& variant : variants_) {
    FOVEA_ASSERT_OK(variant.ops->linear(stream(), x.view(), w, nullptr, y.view()));
    const int64_t growths = variant.ops->num_workspace_growths();
    for (int step = 0; step < 5; ++step) FOVEA_ASSERT_OK(variant.ops->linear(stream(), x.view(), w, nullptr, y.view()));
    EXPECT_EQ(variant.ops->num_workspace_growths(), growths) << variant.name;
  }
}

}  // namespace
}  // namespace fovea::backend::testing
