// CUDA rotary ops against the CPU reference: cos/sin tables of the three rotary kinds at positions up to 262143,
// and the rotation in activation-dtype and fp32 arithmetic, out of place and in place on views of a fused qkv row.
#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

struct RopeCase {
  std::string name;
  RopeConfig config;
  int64_t num_axes;  // rows of the positions tensor; 0 for a 1-D [T] tensor
  int32_t max_position;
};

std::vector<RopeCase> rope_cases() {
  RopeConfig linear{RopeKind::kLinear, 1000000.0f, 128, {}};
  RopeConfig mrope{RopeKind::kInterleavedMrope, 5000000.0f, 128, {24, 20, 20}};
  RopeConfig vision64{RopeKind::kVision2d, 10000.0f, 64, {}};
  RopeConfig vision72{RopeKind::kVision2d, 10000.0f, 72, {}};
  return {{"linear", linear, 0, 262143},
          {"mrope", mrope, 3, 262143},
          {"vision64", vision64, 2, 200},
          {"vision72", vision72, 2, 200}};
}

// The tables are computed in fp64 from the same fp32 angle on both sides; a differing element would be a one-ulp
// difference of the device's fp64 cos/sin, which this bound would still admit in a few elements.
constexpr double kTableNmse = 1e-13;

TEST_F(CudaOpsTest, RopeCosSinOfEveryKind) {
  for (const RopeCase& rope : rope_cases()) {
    for (int64_t num_tokens : {1, 29, 300}) {
      GuardedTensor positions =
          rope.num_axes == 0 ? make(DType::kI32, {num_tokens}) : make(DType::kI32, {rope.num_axes, num_tokens}, 3);
      std::uniform_int_distribution<int32_t> pick(0, rope.max_position);
      std::vector<int32_t> values(static_cast<size_t>(positions.numel()));
      for (int32_t& value : values) value = pick(rng_);
      positions.fill_i32(values);
      const Shape table{num_tokens, rope.config.rotary_dim};
      for (bool want_cos : {true, false}) {
        check(
            "rope_cos_sin", rope.name + (want_cos ? " cos T=" : " sin T=") + std::to_string(num_tokens), DType::kF32,
            table, kTableNmse,
            [&](Side& s, const Tensor& out) {
              GuardedTensor other = make(DType::kF32, table);
              return want_cos
                         ? s.ops().rope_cos_sin(s.stream(), s(positions.view()), rope.config, out, s(other.view()))
                         : s.ops().rope_cos_sin(s.stream(), s(positions.view()), rope.config, s(other.view()), out);
            },
            1);
      }
    }
  }
}

TEST_F(CudaOpsTest, RopeApplyInBothArithmetics) {
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (RopeArithmetic arithmetic : {RopeArithmetic::kActivation, RopeArithmetic::kFloat32}) {
      for (const Shape& shape : {Shape{1, 16, 128}, Shape{37, 8, 64}, Shape{5, 3, 72}, Shape{300, 4, 128}}) {
        GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 7);
        GuardedTensor cos = random(DType::kF32, {shape[0], shape[2]});
        GuardedTensor sin = random(DType::kF32, {shape[0], shape[2]});
        check(
            "rope_apply",
            std::string(tensor::dtype_name(dtype)) + (arithmetic == RopeArithmetic::kActivation ? " act " : " fp32 ") +
                shape.to_string(),
            dtype, shape, 0.0,
            [&](Side& s, const Tensor& out) {
              return s.ops().rope_apply(s.stream(), s(x.view()), s(cos.view()), s(sin.view()), arithmetic, out);
            },
            2);
      }
    }
  }
}

TEST_F(CudaOpsTest, RopeApplyInPlaceOnKeysOfAFusedQkvRow) {
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    const std::vector<float> source = random_floats(rng_, 11 * 12 * 128, -2.0f, 2.0f);
    GuardedTensor cos = random(DType::kF32, {11, 128});
    GuardedTensor sin = random(DType::kF32, {11, 128});
    check(
        "rope_apply", std::string(tensor::dtype_name(dtype)) + " in place on k of qkv", dtype, {11, 12 * 128}, 0.0,
        [&](Side& s, const Tensor& qkv) {
          FOVEA_ASSIGN_OR_RETURN(Tensor k, qkv.slice_columns(8 * 128, 2 * 128).reshaped({11, 2, 128}));
          return s.ops().rope_apply(s.stream(), k, s(cos.view()), s(sin.view()), RopeArithmetic::kActivation, k);
        },
        0, source);
  }
}

}  // namespace
}  // namespace fovea::backend::testing
