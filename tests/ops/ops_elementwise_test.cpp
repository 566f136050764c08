// Fast CPU ops against the reference: gathers, conversions, norms, activations, residual/bias adds, softmax and
// ranking, over every activation dtype, odd sizes, strided views, in-place calls and shapes big enough to
// go multithreaded.
#include <cmath>
#include <numeric>

#include "op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

constexpr DType kActivationDtypes[] = {DType::kF32, DType::kBF16, DType::kF16};

TEST_F(OpsTest, EmbeddingEveryTableAndOutputDtype) {
  for (DType table_dtype : kActivationDtypes) {
    for (DType out_dtype : kActivationDtypes) {
      for (int64_t num_tokens : {1, 37}) {
        GuardedTensor table = random(table_dtype, {301, 130});
        GuardedTensor ids = make(DType::kI32, {num_tokens});
        std::vector<int32_t> id_values(static_cast<size_t>(num_tokens));
        std::uniform_int_distribution<int32_t> pick(0, 300);
        for (int32_t& id : id_values) id = pick(rng_);
        id_values.front() = 300;
        id_values.back() = 0;
        ids.fill_i32(id_values);
        check_op(
            out_dtype, {num_tokens, 130}, 0.0,
            [&](Ops& ops, const Tensor& out) { return ops.embedding(stream(), table.view(), ids.view(), out); }, 3);
      }
    }
  }
}

TEST_F(OpsTest, EmbeddingRejectsAnIdOutsideTheTable) {
  GuardedTensor table = random(DType::kBF16, {10, 8});
  GuardedTensor ids = make(DType::kI32, {2});
  ids.fill_i32({3, 10});
  GuardedTensor out = make(DType::kBF16, {2, 8});
  EXPECT_FALSE(reference_.embedding(stream(), table.view(), ids.view(), out.view()).ok());
  for (FastVariant& variant : variants_) {
    EXPECT_FALSE(variant.ops->embedding(stream(), table.view(), ids.view(), out.view()).ok()) << variant.name;
  }
  EXPECT_TRUE(out.guards_intact());
}

TEST_F(OpsTest, ScatterRowsReplacesAndAccumulates) {
  for (DType dtype : kActivationDtypes) {
    for (bool accumulate : {false, true}) {
      GuardedTensor src = random(dtype, {5, 700});
      GuardedTensor indices = make(DType::kI32, {5});
      indices.fill_i32({7, 0, 12, 3, 11});
      const std::vector<float> initial = random_floats(rng_, 13 * 700, -2.0f, 2.0f);
      check_op(dtype, {13, 700}, 0.0, [&](Ops& ops, const Tensor& dst) {
        // The destination starts from the same values for every variant.
        GuardedTensor start = make(dtype, {13, 700});
        start.fill(initial);
        FOVEA_RETURN_IF_ERROR(backend_.copy(stream(), start.view(), dst));
        return ops.scatter_rows(stream(), src.view(), indices.view(), accumulate, dst);
      });
    }
  }
}

TEST_F(OpsTest, ConvertBetweenEveryPairOfDtypes) {
  for (DType from : kActivationDtypes) {
    for (DType to : kActivationDtypes) {
      for (const Shape& shape : {Shape{3, 1001}, Shape{70, 1000}, Shape{4099}}) {
        GuardedTensor x = random(from, shape, -300.0f, 300.0f);
        check_op(to, shape, 0.0, [&](Ops& ops, const Tensor& out) { return ops.convert(stream(), x.view(), out); });
      }
    }
  }
}

TEST_F(OpsTest, RmsNormRowsAndHeads) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 1024}, Shape{3, 7}, Shape{67, 1000}, Shape{5, 16, 128}, Shape{70, 8, 128}}) {
      GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 5);
      GuardedTensor weight = random(dtype, {shape[shape.rank() - 1]}, 0.5f, 1.5f);
      check_op(
          dtype, shape, default_nmse(dtype),
          [&](Ops& ops, const Tensor& out) { return ops.rms_norm(stream(), x.view(), weight.view(), 1e-6f, out); }, 2);
    }
  }
}

TEST_F(OpsTest, RmsNormInPlaceOnHeadsOfAFusedQkvRow) {
  // q of a fused [T, (16 + 2 * 8) * 64] projection, normalised per head in place, as q_norm does.
  for (DType dtype : kActivationDtypes) {
    GuardedTensor source = random(dtype, {9, 32 * 64}, -2.0f, 2.0f);
    GuardedTensor weight = random(dtype, {64}, 0.5f, 1.5f);
    check_op(
        dtype, {9, 32 * 64}, default_nmse(dtype),
        [&](Ops& ops, const Tensor& qkv) {
          FOVEA_RETURN_IF_ERROR(backend_.copy(stream(), source.view(), qkv));
          FOVEA_ASSIGN_OR_RETURN(Tensor q, qkv.slice_columns(0, 16 * 64).reshaped({9, 16, 64}));
          return ops.rms_norm(stream(), q, weight.view(), 1e-6f, q);
        },
        3);
  }
}

TEST_F(OpsTest, LayerNormWithBias) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 1152}, Shape{2, 5}, Shape{67, 999}}) {
      GuardedTensor x = random(dtype, shape, -3.0f, 5.0f, 1);
      GuardedTensor weight = random(dtype, {shape[1]}, 0.5f, 1.5f);
      GuardedTensor bias = random(dtype, {shape[1]}, -0.5f, 0.5f);
      check_op(dtype, shape, default_nmse(dtype), [&](Ops& ops, const Tensor& out) {
        return ops.layer_norm(stream(), x.view(), weight.view(), bias.view(), 1e-6f, out);
      });
    }
  }
}

TEST_F(OpsTest, SwigluOnSeparateAndFusedGateUp) {
  for (DType dtype : kActivationDtypes) {
    for (int64_t num_rows : {1, 3, 40}) {
      const int64_t width = 1031;
      GuardedTensor gate = random(dtype, {num_rows, width}, -6.0f, 6.0f);
      GuardedTensor up = random(dtype, {num_rows, width}, -2.0f, 2.0f, 4);
      check_op(dtype, {num_rows, width}, default_nmse(dtype),
               [&](Ops& ops, const Tensor& out) { return ops.swiglu(stream(), gate.view(), up.view(), out); });
      GuardedTensor fused = random(dtype, {num_rows, 2 * width}, -6.0f, 6.0f);
      const Tensor fused_gate = fused.view().slice_columns(0, width);
      const Tensor fused_up = fused.view().slice_columns(width, width);
      check_op(
          dtype, {num_rows, width}, default_nmse(dtype),
          [&](Ops& ops, const Tensor& out) { return ops.swiglu(stream(), fused_gate, fused_up, out); }, 1);
    }
  }
}

TEST_F(OpsTest, GeluTanhAndErf) {
  for (DType dtype : kActivationDtypes) {
    for (GeluKind kind : {GeluKind::kTanh, GeluKind::kErf}) {
      for (const Shape& shape : {Shape{1, 4304}, Shape{13, 3}, Shape{40, 1001}}) {
        GuardedTensor x = random(dtype, shape, -8.0f, 8.0f);
        check_op(dtype, shape, default_nmse(dtype),
                 [&](Ops& ops, const Tensor& out) { return ops.gelu(stream(), x.view(), kind, out); });
      }
    }
  }
}

TEST_F(OpsTest, AddResidualAndBroadcastBias) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 1024}, Shape{3, 5}, Shape{50, 999}, Shape{4, 3, 10}}) {
      GuardedTensor a = random(dtype, shape, -4.0f, 4.0f, 3);
      GuardedTensor b = random(dtype, shape, -4.0f, 4.0f);
      GuardedTensor bias = random(DType::kF32, {shape[shape.rank() - 1]});
      check_op(dtype, shape, default_nmse(dtype),
               [&](Ops& ops, const Tensor& out) { return ops.add(stream(), a.view(), b.view(), out); });
      check_op(
          dtype, shape, default_nmse(dtype),
          [&](Ops& ops, const Tensor& out) { return ops.add(stream(), a.view(), bias.view(), out); }, 2);
    }
  }
}

TEST_F(OpsTest, AddInPlaceIntoTheResidual) {
  for (DType dtype : kActivationDtypes) {
    const std::vector<float> residual = random_floats(rng_, 33 * 1500, -4.0f, 4.0f);
    GuardedTensor delta = random(dtype, {33, 1500});
    check_op(dtype, {33, 1500}, default_nmse(dtype), [&](Ops& ops, const Tensor& out) {
      GuardedTensor start = make(dtype, {33, 1500});
      start.fill(residual);
      FOVEA_RETURN_IF_ERROR(backend_.copy(stream(), start.view(), out));
      return ops.add(stream(), out, delta.view(), out);
    });
  }
}

TEST_F(OpsTest, SoftmaxAndLogSoftmaxOverTheVocab) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 151936}, Shape{3, 1000}, Shape{5, 1}}) {
      GuardedTensor x = random(dtype, shape, -20.0f, 20.0f);
      check_op(DType::kF32, shape, 1e-10,
               [&](Ops& ops, const Tensor& out) { return ops.softmax(stream(), x.view(), out); });
      check_op(DType::kF32, shape, 1e-10,
               [&](Ops& ops, const Tensor& out) { return ops.log_softmax(stream(), x.view(), out); });
    }
  }
}

TEST_F(OpsTest, SoftmaxWithMaskedLogitsAndAllMaskedRow) {
  GuardedTensor x = make(DType::kF32, {2, 6});
  x.fill(
      {-INFINITY, 1.0f, 2.0f, -INFINITY, 0.5f, 3.0f, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY});
  check_op(DType::kF32, {2, 6}, 1e-12,
           [&](Ops& ops, const Tensor& out) { return ops.softmax(stream(), x.view(), out); });
  GuardedTensor expected = make(DType::kF32, {2, 6});
  FOVEA_ASSERT_OK(reference_.softmax(stream(), x.view(), expected.view()));
  const std::vector<float> values = expected.read();
  EXPECT_EQ(values[0], 0.0f);
  EXPECT_NEAR(std::accumulate(values.begin(), values.begin() + 6, 0.0), 1.0, 1e-6);
  EXPECT_TRUE(std::isnan(values[6])) << "torch gives NaN for a row of -inf";
}

// Values on a coarse grid so that ties are common, plus NaNs: checks the documented ranking order.
std::vector<float> tie_heavy_values(std::mt19937& rng, int64_t count, bool with_nan) {
  std::uniform_int_distribution<int> level(-20, 20);
  std::vector<float> values(static_cast<size_t>(count));
  for (float& value : values) value = static_cast<float>(level(rng)) * 0.25f;
  if (with_nan && count > 10) {
    values[7] = NAN;
    values[3] = NAN;
  }
  return values;
}

TEST_F(OpsTest, TopKWithTiesAndNan) {
  for (DType dtype : kActivationDtypes) {
    for (int k : {1, 5, 50, 1000}) {
      for (bool with_nan : {false, true}) {
        GuardedTensor x = make(dtype, {3, 1000});
        x.fill(tie_heavy_values(rng_, 3000, with_nan));
        GuardedTensor expected_values = make(DType::kF32, {3, k});
        GuardedTensor expected_indices = make(DType::kI32, {3, k});
        FOVEA_ASSERT_OK(reference_.top_k(stream(), x.view(), k, expected_values.view(), expected_indices.view()));
        for (FastVariant& variant : variants_) {
          GuardedTensor values = make(DType::kF32, {3, k});
          GuardedTensor indices = make(DType::kI32, {3, k});
          FOVEA_ASSERT_OK(variant.ops->top_k(stream(), x.view(), k, values.view(), indices.view()));
          EXPECT_EQ(indices.read_i32(), expected_indices.read_i32()) << variant.name << " k=" << k;
          EXPECT_TRUE(values.guards_intact() && indices.guards_intact()) << variant.name;
        }
        // The reference itself: descending values, lower index first among equals, NaN first.
        const std::vector<float> got = expected_values.read();
        const std::vector<int32_t> idx = expected_indices.read_i32();
        for (int rank = 1; rank < k; ++rank) {
          const float prev = got[static_cast<size_t>(rank - 1)];
          const float cur = got[static_cast<size_t>(rank)];
          if (std::isnan(cur)) {
            ASSERT_TRUE(std::isnan(prev));
            continue;
          }
          ASSERT_TRUE(std::isnan(prev) || prev > cur || (prev == cur && idx[rank - 1] < idx[rank])) << rank;
        }
      }
    }
  }
}

TEST_F(OpsTest, ArgmaxFirstOfTiesAndNan) {
  for (DType dtype : kActivationDtypes) {
    for (bool with_nan : {false, true}) {
      GuardedTensor x = make(dtype, {4, 151936});
      x.fill(tie_heavy_values(rng_, 4 * 151936, with_nan));
      GuardedTensor expected = make(DType::kI32, {4});
      FOVEA_ASSERT_OK(reference_.argmax(stream(), x.view(), expected.view()));
      for (FastVariant& variant : variants_) {
        GuardedTensor out = make(DType::kI32, {4});
        FOVEA_ASSERT_OK(variant.ops->argmax(stream(), x.view(), out.view()));
        EXPECT_EQ(out.read_i32(), expected.read_i32()) << variant.name;
        EXPECT_TRUE(out.guards_intact());
      }
      const std::vector<float> values = x.read();
      const int32_t first = expected.read_i32()[0];
      if (with_nan) {
        EXPECT_EQ(first, 3);
      } else {
        const float max_value = *std::max_element(values.begin(), values.begin() + 151936);
        EXPECT_EQ(values[static_cast<size_t>(first)], max_value);
        EXPECT_EQ(std::find(values.begin(), values.begin() + 151936, max_value) - values.begin(), first);
      }
    }
  }
}

}  // namespace
}  // namespace fovea::backend::testing
