// Fast CPU rotary ops against the reference: cos/sin tables of the three rotary kinds at large positions, and the
// rotation in activation-dtype and fp32 arithmetic, out of place and in place on views of a fused qkv row.
#include "op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

struct RopeCase {
  RopeConfig config;
  int64_t num_axes;  // rows of the positions tensor; 0 for a 1-D [T] tensor
  int32_t max_position;
};

std::vector<RopeCase> rope_cases() {
  RopeConfig linear{RopeKind::kLinear, 1000000.0f, 128, {}};
  RopeConfig mrope{RopeKind::kInterleavedMrope, 5000000.0f, 128, {24, 20, 20}};
  RopeConfig vision64{RopeKind::kVision2d, 10000.0f, 64, {}};
  RopeConfig vision72{RopeKind::kVision2d, 10000.0f, 72, {}};
  return {{linear, 0, 262143}, {mrope, 3, 262143}, {vision64, 2, 200}, {vision72, 2, 200}};
}

TEST_F(OpsTest, RopeCosSinOfEveryKind) {
  for (const RopeCase& rope : rope_cases()) {
    for (int64_t num_tokens : {1, 29, 300}) {
      GuardedTensor positions =
          rope.num_axes == 0 ? make(DType::kI32, {num_tokens}) : make(DType::kI32, {rope.num_axes, num_tokens});
      std::uniform_int_distribution<int32_t> pick(0, rope.max_position);
      std::vector<int32_t> values(static_cast<size_t>(positions.numel()));
      for (int32_t& value : values) value = pick(rng_);
      positions.fill_i32(values);
      const Shape table{num_tokens, rope.config.rotary_dim};
      for (bool want_cos : {true, false}) {
        check_op(
            DType::kF32, table, 0.0,
            [&](Ops& ops, const Tensor& out) {
              GuardedTensor other = make(DType::kF32, table);
              return want_cos ? ops.rope_cos_sin(stream(), positions.view(), rope.config, out, other.view())
                              : ops.rope_cos_sin(stream(), positions.view(), rope.config, other.view(), out);
            },
            1);
      }
    }
  }
}

TEST_F(OpsTest, RopeApplyInBothArithmetics) {
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (RopeArithmetic arithmetic : {RopeArithmetic::kActivation, RopeArithmetic::kFloat32}) {
      for (const Shape& shape : {Shape{1, 16, 128}, Shape{37, 8, 64}, Shape{5, 3, 72}, Shape{300, 4, 128}}) {
        GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 7);
        GuardedTensor cos = random(DType::kF32, {shape[0], shape[2]});
        GuardedTensor sin = random(DType::kF32, {shape[0], shape[2]});
        check_op(
            dtype, shape, 0.0,
            [&](Ops& ops, const Tensor& out) {
              return ops.rope_apply(stream(), x.view(), cos.view(), sin.view(), arithmetic, out);
            },
            2);
      }
    }
  }
}

TEST_F(OpsTest, RopeApplyInPlaceOnKeysOfAFusedQkvRow) {
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    GuardedTensor source = random(dtype, {11, (8 + 2 * 2) * 128}, -2.0f, 2.0f);
    GuardedTensor cos = random(DType::kF32, {11, 128});
    GuardedTensor sin = random(DType::kF32, {11, 128});
    check_op(dtype, {11, 12 * 128}, 0.0, [&](Ops& ops, const Tensor& qkv) {
      FOVEA_RETURN_IF_ERROR(backend_.copy(stream(), source.view(), qkv));
      FOVEA_ASSIGN_OR_RETURN(Tensor k, qkv.slice_columns(8 * 128, 2 * 128).reshaped({11, 2, 128}));
      return ops.rope_apply(stream(), k, cos.view(), sin.view(), RopeArithmetic::kActivation, k);
    });
  }
}

}  // namespace
}  // namespace fovea::backend::testing
