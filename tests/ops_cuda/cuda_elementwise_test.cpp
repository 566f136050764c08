// CUDA gathers, conversions, norms, activations, adds, softmax and ranking against the CPU reference: every
// activation dtype, batch 1, odd sizes, strided views, in-place calls, the 151936-wide vocabulary, ties and NaN.
#include <numeric>

#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

constexpr DType kActivationDtypes[] = {DType::kF32, DType::kBF16, DType::kF16};

std::string name_of(DType dtype) { return std::string(tensor::dtype_name(dtype)); }

TEST_F(CudaOpsTest, EmbeddingEveryTableAndOutputDtype) {
  for (DType table_dtype : kActivationDtypes) {
    for (DType out_dtype : kActivationDtypes) {
      for (int64_t num_tokens : {1, 37}) {
        GuardedTensor table = random(table_dtype, {301, 130}, -1.0f, 1.0f, 2);
        GuardedTensor ids = make(DType::kI32, {num_tokens});
        std::vector<int32_t> id_values(static_cast<size_t>(num_tokens));
        std::uniform_int_distribution<int32_t> pick(0, 300);
        for (int32_t& id : id_values) id = pick(rng_);
        id_values.front() = 300;
        id_values.back() = 0;
        ids.fill_i32(id_values);
        check(
            "embedding", name_of(table_dtype) + "->" + name_of(out_dtype), out_dtype, {num_tokens, 130}, 0.0,
            [&](Side& s, const Tensor& out) {
              return s.ops().embedding(s.stream(), s(table.view()), s(ids.view()), out);
            },
            3);
      }
    }
  }
}

TEST_F(CudaOpsTest, ScatterRowsReplacesAndAccumulates) {
  for (DType dtype : kActivationDtypes) {
    for (bool accumulate : {false, true}) {
      GuardedTensor src = random(dtype, {5, 700});
      GuardedTensor indices = make(DType::kI32, {5});
      indices.fill_i32({7, 0, 12, 3, 11});
      const std::vector<float> initial = random_floats(rng_, 13 * 700, -2.0f, 2.0f);
      check(
          "scatter_rows", name_of(dtype) + (accumulate ? " accumulate" : " replace"), dtype, {13, 700}, 0.0,
          [&](Side& s, const Tensor& dst) {
            return s.ops().scatter_rows(s.stream(), s(src.view()), s(indices.view()), accumulate, dst);
          },
          1, initial);
    }
  }
}

TEST_F(CudaOpsTest, ConvertBetweenEveryPairOfDtypes) {
  for (DType from : kActivationDtypes) {
    for (DType to : kActivationDtypes) {
      for (const Shape& shape : {Shape{3, 1001}, Shape{70, 1000}, Shape{4099}}) {
        GuardedTensor x = random(from, shape, -300.0f, 300.0f);
        check("convert", name_of(from) + "->" + name_of(to) + " " + shape.to_string(), to, shape, 0.0,
              [&](Side& s, const Tensor& out) { return s.ops().convert(s.stream(), s(x.view()), out); });
      }
      // Strided input and output rows (a column slice).
      GuardedTensor wide = random(from, {9, 300}, -5.0f, 5.0f);
      check(
          "convert", name_of(from) + "->" + name_of(to) + " strided", to, {9, 200}, 0.0,
          [&](Side& s, const Tensor& out) {
            return s.ops().convert(s.stream(), s(wide.view()).slice_columns(50, 200), out);
          },
          7);
    }
  }
}

TEST_F(CudaOpsTest, RmsNormRowsAndHeads) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape :
         {Shape{1, 1024}, Shape{3, 7}, Shape{67, 1000}, Shape{5, 16, 128}, Shape{70, 8, 128}, Shape{2, 5120}}) {
      GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 5);
      GuardedTensor weight = random(dtype, {shape[shape.rank() - 1]}, 0.5f, 1.5f);
      check(
          "rms_norm", name_of(dtype) + " " + shape.to_string(), dtype, shape, default_nmse(dtype),
          [&](Side& s, const Tensor& out) {
            return s.ops().rms_norm(s.stream(), s(x.view()), s(weight.view()), 1e-6f, out);
          },
          2);
    }
  }
}

TEST_F(CudaOpsTest, RmsNormInPlaceOnHeadsOfAFusedQkvRow) {
  for (DType dtype : kActivationDtypes) {
    const std::vector<float> source = random_floats(rng_, 9 * 32 * 64, -2.0f, 2.0f);
    GuardedTensor weight = random(dtype, {64}, 0.5f, 1.5f);
    check(
        "rms_norm", name_of(dtype) + " in place on q of qkv", dtype, {9, 32 * 64}, default_nmse(dtype),
        [&](Side& s, const Tensor& qkv) {
          FOVEA_ASSIGN_OR_RETURN(Tensor q, qkv.slice_columns(0, 16 * 64).reshaped({9, 16, 64}));
          return s.ops().rms_norm(s.stream(), q, s(weight.view()), 1e-6f, q);
        },
        3, source);
  }
}

TEST_F(CudaOpsTest, LayerNormWithBias) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 1152}, Shape{2, 5}, Shape{67, 999}}) {
      GuardedTensor x = random(dtype, shape, -3.0f, 5.0f, 1);
      GuardedTensor weight = random(dtype, {shape[1]}, 0.5f, 1.5f);
      GuardedTensor bias = random(DType::kF32, {shape[1]}, -0.5f, 0.5f);
      check("layer_norm", name_of(dtype) + " " + shape.to_string(), dtype, shape, default_nmse(dtype),
            [&](Side& s, const Tensor& out) {
              return s.ops().layer_norm(s.stream(), s(x.view()), s(weight.view()), s(bias.view()), 1e-6f, out);
            });
    }
  }
}

TEST_F(CudaOpsTest, SwigluOnSeparateAndFusedGateUp) {
  for (DType dtype : kActivationDtypes) {
    for (int64_t num_rows : {1, 3, 40}) {
      const int64_t width = 1031;
      GuardedTensor gate = random(dtype, {num_rows, width}, -6.0f, 6.0f);
      GuardedTensor up = random(dtype, {num_rows, width}, -2.0f, 2.0f, 4);
      check("swiglu", name_of(dtype) + " separate", dtype, {num_rows, width}, default_nmse(dtype),
            [&](Side& s, const Tensor& out) { return s.ops().swiglu(s.stream(), s(gate.view()), s(up.view()), out); });
      GuardedTensor fused = random(dtype, {num_rows, 2 * width}, -6.0f, 6.0f);
      check(
          "swiglu", name_of(dtype) + " fused", dtype, {num_rows, width}, default_nmse(dtype),
          [&](Side& s, const Tensor& out) {
            const Tensor both = s(fused.view());
            return s.ops().swiglu(s.stream(), both.slice_columns(0, width), both.slice_columns(width, width), out);
          },
          1);
    }
  }
}

TEST_F(CudaOpsTest, GeluTanhAndErf) {
  for (DType dtype : kActivationDtypes) {
    for (GeluKind kind : {GeluKind::kTanh, GeluKind::kErf}) {
      for (const Shape& shape : {Shape{1, 4304}, Shape{13, 3}, Shape{40, 1001}}) {
        GuardedTensor x = random(dtype, shape, -8.0f, 8.0f);
        check("gelu", name_of(dtype) + (kind == GeluKind::kTanh ? " tanh " : " erf ") + shape.to_string(), dtype, shape,
              default_nmse(dtype),
              [&](Side& s, const Tensor& out) { return s.ops().gelu(s.stream(), s(x.view()), kind, out); });
      }
    }
  }
}

TEST_F(CudaOpsTest, AddResidualBroadcastBiasAndInPlace) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 1024}, Shape{3, 5}, Shape{50, 999}, Shape{4, 3, 10}}) {
      GuardedTensor a = random(dtype, shape, -4.0f, 4.0f, 3);
      GuardedTensor b = random(dtype, shape, -4.0f, 4.0f);
      GuardedTensor bias = random(DType::kF32, {shape[shape.rank() - 1]});
      check("add", name_of(dtype) + " " + shape.to_string(), dtype, shape, default_nmse(dtype),
            [&](Side& s, const Tensor& out) { return s.ops().add(s.stream(), s(a.view()), s(b.view()), out); });
      check(
          "add", name_of(dtype) + " bias " + shape.to_string(), dtype, shape, default_nmse(dtype),
          [&](Side& s, const Tensor& out) { return s.ops().add(s.stream(), s(a.view()), s(bias.view()), out); }, 2);
    }
    const std::vector<float> residual = random_floats(rng_, 33 * 1500, -4.0f, 4.0f);
    GuardedTensor delta = random(dtype, {33, 1500});
    check(
        "add", name_of(dtype) + " in place", dtype, {33, 1500}, default_nmse(dtype),
        [&](Side& s, const Tensor& out) { return s.ops().add(s.stream(), out, s(delta.view()), out); }, 0, residual);
  }
}

TEST_F(CudaOpsTest, SoftmaxAndLogSoftmaxOverTheVocab) {
  for (DType dtype : kActivationDtypes) {
    for (const Shape& shape : {Shape{1, 151936}, Shape{3, 1000}, Shape{5, 1}}) {
      GuardedTensor x = random(dtype, shape, -20.0f, 20.0f, 3);
      check("softmax", name_of(dtype) + " " + shape.to_string(), DType::kF32, shape, 1e-10,
            [&](Side& s, const Tensor& out) { return s.ops().softmax(s.stream(), s(x.view()), out); });
      check("log_softmax", name_of(dtype) + " " + shape.to_string(), DType::kF32, shape, 1e-10,
            [&](Side& s, const Tensor& out) { return s.ops().log_softmax(s.stream(), s(x.view()), out); });
    }
  }
}

TEST_F(CudaOpsTest, SoftmaxWithMaskedLogitsAllMaskedRowAndInPlace) {
  GuardedTensor x = make(DType::kF32, {2, 6});
  const std::vector<float> logits = {-INFINITY, 1.0f,      2.0f,      -INFINITY, 0.5f,      3.0f,
                                     -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  x.fill(logits);
  check("softmax", "masked", DType::kF32, {2, 6}, 1e-12,
        [&](Side& s, const Tensor& out) { return s.ops().softmax(s.stream(), s(x.view()), out); });
  check(
      "softmax", "f32 in place", DType::kF32, {2, 6}, 1e-12,
      [&](Side& s, const Tensor& out) { return s.ops().softmax(s.stream(), out, out); }, 0, logits);
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

class CudaRankingTest : public CudaOpsTest {
 protected:
  void run_top_k(DType dtype, int64_t num_rows, int64_t num_cols, int k, bool with_nan) {
    const std::string what = name_of(dtype) + " " + std::to_string(num_rows) + "x" + std::to_string(num_cols) +
                             " k=" + std::to_string(k) + (with_nan ? " nan" : "");
    SCOPED_TRACE(what);
    GuardedTensor x = make(dtype, {num_rows, num_cols}, 3);
    x.fill(tie_heavy_values(rng_, num_rows * num_cols, with_nan));
    GuardedTensor expected_values = make(DType::kF32, {num_rows, k});
    GuardedTensor expected_indices = make(DType::kI32, {num_rows, k});
    FOVEA_ASSERT_OK(
        reference_.top_k(host_.default_stream(), x.view(), k, expected_values.view(), expected_indices.view()));
    GuardedTensor values = make(DType::kF32, {num_rows, k}, 1);
    GuardedTensor indices = make(DType::kI32, {num_rows, k}, 2);
    values.fill_nan();
    indices.fill_nan();
    Side device = device_side();
    FOVEA_ASSERT_OK(
        device.ops().top_k(device.stream(), device(x.view()), k, device(values.view()), device(indices.view())));
    FOVEA_ASSERT_OK(device.fetch(values.view()));
    FOVEA_ASSERT_OK(device.fetch(indices.view()));
    const bool same_indices = indices.read_i32() == expected_indices.read_i32();
    const ::testing::AssertionResult same_values = matches(values, expected_values, 0.0);
    EXPECT_TRUE(same_indices) << "indices differ";
    EXPECT_TRUE(same_values);
    EXPECT_TRUE(indices.guards_intact());
    record_result({"top_k", what, finite_nmse(values, expected_values), 0.0,
                   same_indices && static_cast<bool>(same_values) && indices.guards_intact()});
  }
};

TEST_F(CudaRankingTest, TopKWithTiesAndNan) {
  for (DType dtype : kActivationDtypes) {
    for (int k : {1, 5, 50, 1000}) {
      for (bool with_nan : {false, true}) run_top_k(dtype, 3, 1000, k, with_nan);
    }
  }
}

TEST_F(CudaRankingTest, TopKOverTheVocabAndBeyondTheBlockSort) {
  run_top_k(DType::kBF16, 4, 151936, 50, true);
  run_top_k(DType::kF32, 1, 151936, 1024, false);
  // k above kTopKSmallMax takes the segmented-sort path, k == V included.
  run_top_k(DType::kBF16, 3, 5000, 3000, true);
  run_top_k(DType::kF32, 2, 2000, 2000, false);
}

TEST_F(CudaRankingTest, ArgmaxFirstOfTiesAndNan) {
  for (DType dtype : kActivationDtypes) {
    for (bool with_nan : {false, true}) {
      GuardedTensor x = make(dtype, {4, 151936}, 5);
      x.fill(tie_heavy_values(rng_, 4 * 151936, with_nan));
      GuardedTensor expected = make(DType::kI32, {4});
      FOVEA_ASSERT_OK(reference_.argmax(host_.default_stream(), x.view(), expected.view()));
      GuardedTensor out = make(DType::kI32, {4});
      out.fill_nan();
      Side device = device_side();
      FOVEA_ASSERT_OK(device.ops().argmax(device.stream(), device(x.view()), device(out.view())));
      FOVEA_ASSERT_OK(device.fetch(out.view()));
      const bool pass = out.read_i32() == expected.read_i32() && out.guards_intact();
      EXPECT_TRUE(pass) << name_of(dtype);
      record_result({"argmax", name_of(dtype) + (with_nan ? " nan" : ""), pass ? 0.0 : 1.0, 0.0, pass});
    }
  }
}

}  // namespace
}  // namespace fovea::backend::testing
