// Linear with an f32 y for a bf16/f16 x (the unrounded fp32 sums tensor-parallel ranks all-reduce), dense and every
// quantized format, reference and every fast CPU variant: the f32 y against an fp64 sum within fp32 tolerance, the
// f32 y rounded to x's dtype bit for bit equal to the same op's x-dtype y, and some f32 values not representable in
// x's dtype (so a path that rounds on the way fails). Also the dtype pairs linear refuses.
#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/quant_dequant.h"
#include "op_test_util.h"
#include "quant/linear_loader.h"
#include "random_quant_linear.h"
#include "tensor/float_convert.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

struct F32OutCase {
  const char* name;
  WeightFormat format;
  DType dense_dtype;  // kDense only: the weight's dtype
  int64_t in;         // K
  int64_t out;        // N
  int64_t group_size;
  int64_t block_rows;
  bool zeros;
  bool act_order;
};

float round_to(DType dtype, float value) {
  return dtype == DType::kBF16 ? tensor::round_to_bf16(value) : tensor::round_to_f16(value);
}

class LinearF32OutputTest : public OpsTest {
 protected:
  quant::RepackedLinear random_quant(const F32OutCase& c) {
    return random_quant_linear({c.format, c.in, c.out, c.group_size, c.block_rows, c.zeros, c.act_order, DType::kBF16},
                               rng_);
  }

  // fp64 x · denseᵀ (+ bias) and the sums of the terms' magnitudes, [M, N] each.
  struct Fp64Linear {
    std::vector<double> sums;
    std::vector<double> magnitudes;
  };
  static Fp64Linear fp64_linear(const GuardedTensor& x, const std::vector<float>& dense, int64_t num_out,
                                const GuardedTensor* bias) {
    const int64_t num_rows = x.view().dim(0);
    const int64_t num_in = x.view().dim(1);
    const std::vector<float> xs = x.read();
    const std::vector<float> bias_values = bias != nullptr ? bias->read() : std::vector<float>();
    Fp64Linear out;
    out.sums.resize(static_cast<size_t>(num_rows * num_out));
    out.magnitudes.resize(out.sums.size());
    for (int64_t m = 0; m < num_rows; ++m) {
      for (int64_t n = 0; n < num_out; ++n) {
        double sum = 0.0;
        double magnitude = 0.0;
        for (int64_t k = 0; k < num_in; ++k) {
          const double term = static_cast<double>(xs[m * num_in + k]) * dense[n * num_in + k];
          sum += term;
          magnitude += std::fabs(term);
        }
        if (bias != nullptr) {
          sum += bias_values[n];
          magnitude += std::fabs(bias_values[n]);
        }
        out.sums[static_cast<size_t>(m * num_out + n)] = sum;
        out.magnitudes[static_cast<size_t>(m * num_out + n)] = magnitude;
      }
    }
    return out;
  }

  // Checks y (f32) of `ops` against the fp64 sums, and against the same op's x-dtype output. Returns how many f32
  // values are not representable in x's dtype.
  int64_t check_one(Ops& ops, const std::string& ops_name, const GuardedTensor& x, const Weight& w,
                    const Fp64Linear& reference, const GuardedTensor* bias) {
    SCOPED_TRACE(ops_name);
    const int64_t num_rows = x.view().dim(0);
    const int64_t num_out = w.out_features();
    const DType x_dtype = x.view().dtype;
    GuardedTensor y32 = make(DType::kF32, {num_rows, num_out}, 5);
    GuardedTensor y16 = make(x_dtype, {num_rows, num_out}, 2);
    y32.fill_nan();
    y16.fill_nan();
    const Tensor* bias_view = bias != nullptr ? &bias->view() : nullptr;
    const base::Status status32 = ops.linear(stream(), x.view(), w, bias_view, y32.view());
    EXPECT_TRUE(status32.ok()) << status32.to_string();
    const base::Status status16 = ops.linear(stream(), x.view(), w, bias_view, y16.view());
    EXPECT_TRUE(status16.ok()) << status16.to_string();
    EXPECT_TRUE(y32.guards_intact());
    EXPECT_TRUE(y16.guards_intact());
    const std::vector<float> got32 = y32.read();
    const std::vector<float> got16 = y16.read();
    int64_t num_unrepresentable = 0;
    int64_t num_bad = 0;
    for (int64_t m = 0; m < num_rows; ++m) {
      for (int64_t n = 0; n < num_out; ++n) {
        const size_t idx = static_cast<size_t>(m * num_out + n);
        const double sum = reference.sums[idx];
        const double magnitude = reference.magnitudes[idx];
        const float value = got32[idx];
        // fp32 accumulation over K terms: far below one bf16/f16 rounding of the result.
        if (!(std::fabs(value - sum) <= 1e-5 * magnitude + 1e-7) && num_bad++ < 5) {
          ADD_FAILURE() << "f32 y[" << m << ", " << n << "] = " << value << ", fp64 sum " << sum;
        }
        if (std::bit_cast<uint32_t>(round_to(x_dtype, value)) != std::bit_cast<uint32_t>(got16[idx]) && num_bad++ < 5) {
          ADD_FAILURE() << "f32 y[" << m << ", " << n << "] = " << value << " rounds to " << round_to(x_dtype, value)
                        << " but the " << tensor::dtype_name(x_dtype) << " y is " << got16[idx];
        }
        if (round_to(x_dtype, value) != value) ++num_unrepresentable;
      }
    }
    return num_unrepresentable;
  }

  void run(const F32OutCase& c, DType x_dtype, int64_t num_rows, bool with_bias) {
    SCOPED_TRACE(::testing::Message() << c.name << " M " << num_rows << " x " << tensor::dtype_name(x_dtype)
                                      << (with_bias ? " bias" : ""));
    Weight w;
    std::vector<float> dense(static_cast<size_t>(c.out * c.in));
    GuardedTensor dense_values = random(c.dense_dtype, {c.out, c.in}, -0.5f, 0.5f);
    if (c.format == WeightFormat::kDense) {
      w.values = dense_values.view();
      dense = dense_values.read();
    } else {
      base::Result<Weight> placed = quant::place_linear(random_quant(c), backend_);
      FOVEA_ASSERT_OK(placed.status());
      w = *placed;
      cpu::dequantize_matrix(w, dense.data());
    }
    GuardedTensor x = random(x_dtype, {num_rows, c.in}, -1.0f, 1.0f, 3);
    GuardedTensor bias = random(DType::kBF16, {c.out});
    const GuardedTensor* bias_ptr = with_bias ? &bias : nullptr;
    const int64_t num_values = num_rows * c.out;
    const Fp64Linear reference = fp64_linear(x, dense, c.out, bias_ptr);
    const int64_t reference_unrepresentable = check_one(reference_, "reference", x, w, reference, bias_ptr);
    EXPECT_GT(reference_unrepresentable, num_values / 2) << "the f32 outputs look rounded to the activation dtype";
    for (FastVariant& variant : variants_) {
      const int64_t unrepresentable = check_one(*variant.ops, variant.name, x, w, reference, bias_ptr);
      EXPECT_GT(unrepresentable, num_values / 2) << variant.name << ": the f32 outputs look rounded";
    }
  }

  void run_all_sizes(const F32OutCase& c) {
    for (DType x_dtype : {DType::kBF16, DType::kF16}) {
      for (int64_t num_rows : {1, 5, 64}) {
        for (bool with_bias : {false, true}) run(c, x_dtype, num_rows, with_bias);
      }
    }
  }
};

TEST_F(LinearF32OutputTest, DenseEveryWeightDtype) {
  run_all_sizes({"dense bf16", WeightFormat::kDense, DType::kBF16, 300, 70, 0, 1, false, false});
  run_all_sizes({"dense f16", WeightFormat::kDense, DType::kF16, 258, 33, 0, 1, false, false});
  run_all_sizes({"dense f32", WeightFormat::kDense, DType::kF32, 130, 65, 0, 1, false, false});
}

TEST_F(LinearF32OutputTest, Int4GroupsZerosAndActOrder) {
  run_all_sizes({"int4 g64 zeros act-order", WeightFormat::kInt4, DType::kBF16, 256, 70, 64, 1, true, true});
  run_all_sizes({"int4 g128 symmetric", WeightFormat::kInt4, DType::kBF16, 384, 65, 128, 1, false, false});
}

TEST_F(LinearF32OutputTest, Int8AndFp8) {
  run_all_sizes({"int8 per channel zeros", WeightFormat::kInt8, DType::kBF16, 300, 70, 0, 1, true, false});
  run_all_sizes({"fp8 128x128 blocks", WeightFormat::kFp8, DType::kBF16, 300, 130, 128, 128, false, false});
}

TEST_F(LinearF32OutputTest, RefusesOtherDtypePairs) {
  GuardedTensor dense_values = random(DType::kBF16, {8, 64}, -0.5f, 0.5f);
  Weight dense;
  dense.values = dense_values.view();
  base::Result<Weight> placed = quant::place_linear(
      random_quant({"int4", WeightFormat::kInt4, DType::kBF16, 64, 8, 32, 1, true, false}), backend_);
  FOVEA_ASSERT_OK(placed.status());
  struct Pair {
    DType x;
    DType y;
  };
  for (const Weight* w : {&dense, &*placed}) {
    for (const Pair pair : {Pair{DType::kF32, DType::kBF16}, Pair{DType::kBF16, DType::kF16},
                            Pair{DType::kF16, DType::kBF16}, Pair{DType::kF32, DType::kF16}}) {
      GuardedTensor x = random(pair.x, {2, 64});
      GuardedTensor y = make(pair.y, {2, 8});
      for (Ops* ops : {static_cast<Ops*>(&reference_), static_cast<Ops*>(variants_[0].ops.get())}) {
        const base::Status status = ops->linear(stream(), x.view(), *w, nullptr, y.view());
        EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
        EXPECT_NE(status.message().find(std::string(tensor::dtype_name(pair.y))), std::string::npos)
            << status.to_string();
        EXPECT_NE(status.message().find(std::string(tensor::dtype_name(pair.x))), std::string::npos)
            << status.to_string();
      }
    }
  }
}

}  // namespace
}  // namespace fovea::backend::testing
