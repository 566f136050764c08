// ReferenceOps checked on its own against facts derivable by hand (the oracle of tests/ops must itself be right):
// rotary axis patterns, identity rotations, causal and segment masks, GQA head mapping, exact small-integer
// matmuls, known activation values, FP8 cache round trips.
#include "backend/cpu/reference_ops.h"

#include <cmath>

#include "op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

class ReferenceTest : public OpsTest {
 protected:
  GuardedTensor ints(Shape shape, const std::vector<int32_t>& values) {
    GuardedTensor t = make(DType::kI32, std::move(shape));
    t.fill_i32(values);
    return t;
  }
  GuardedTensor floats(DType dtype, Shape shape, const std::vector<float>& values) {
    GuardedTensor t = make(dtype, std::move(shape));
    t.fill(values);
    return t;
  }
};

TEST_F(ReferenceTest, MropeWithEqualAxesIsPlainRope) {
  const std::vector<int32_t> positions = {0, 1, 17, 4095, 262143};
  GuardedTensor linear_pos = ints({5}, positions);
  std::vector<int32_t> three;
  for (int axis = 0; axis < 3; ++axis) three.insert(three.end(), positions.begin(), positions.end());
  GuardedTensor mrope_pos = ints({3, 5}, three);
  GuardedTensor cos_a = make(DType::kF32, {5, 128});
  GuardedTensor sin_a = make(DType::kF32, {5, 128});
  GuardedTensor cos_b = make(DType::kF32, {5, 128});
  GuardedTensor sin_b = make(DType::kF32, {5, 128});
  FOVEA_ASSERT_OK(reference_.rope_cos_sin(stream(), linear_pos.view(), {RopeKind::kLinear, 5e6f, 128, {}}, cos_a.view(),
                                          sin_a.view()));
  FOVEA_ASSERT_OK(reference_.rope_cos_sin(
      stream(), mrope_pos.view(), {RopeKind::kInterleavedMrope, 5e6f, 128, {24, 20, 20}}, cos_b.view(), sin_b.view()));
  EXPECT_EQ(cos_a.read(), cos_b.read());
  EXPECT_EQ(sin_a.read(), sin_b.read());
  const std::vector<float> cos = cos_a.read();
  for (int j = 0; j < 128; ++j) EXPECT_EQ(cos[static_cast<size_t>(j)], 1.0f) << "position 0 is the identity";
}

TEST_F(ReferenceTest, MropeTakesHeightAndWidthOnTheInterleavedFrequencies) {
  // t = 0 and w = 0: only frequencies j % 3 == 1, j < 60 (height) get a nonzero angle.
  GuardedTensor pos = ints({3, 1}, {0, 1000, 0});
  GuardedTensor cos = make(DType::kF32, {1, 128});
  GuardedTensor sin = make(DType::kF32, {1, 128});
  FOVEA_ASSERT_OK(reference_.rope_cos_sin(stream(), pos.view(), {RopeKind::kInterleavedMrope, 5e6f, 128, {24, 20, 20}},
                                          cos.view(), sin.view()));
  const std::vector<float> s = sin.read();
  for (int j = 0; j < 64; ++j) {
    const bool height = j % 3 == 1 && j < 60;
    EXPECT_EQ(s[static_cast<size_t>(j)] != 0.0f, height) << j;
    EXPECT_EQ(s[static_cast<size_t>(j)], s[static_cast<size_t>(j + 64)]) << "halves repeat";
  }
}

TEST_F(ReferenceTest, VisionRopeUsesRowThenColumn) {
  GuardedTensor pos = ints({2, 2}, {3, 0, 0, 5});  // token 0: row 3 col 0; token 1: row 0 col 5
  GuardedTensor cos = make(DType::kF32, {2, 72});
  GuardedTensor sin = make(DType::kF32, {2, 72});
  FOVEA_ASSERT_OK(
      reference_.rope_cos_sin(stream(), pos.view(), {RopeKind::kVision2d, 1e4f, 72, {}}, cos.view(), sin.view()));
  const std::vector<float> s = sin.read();
  for (int j = 0; j < 36; ++j) {
    EXPECT_EQ(s[static_cast<size_t>(j)] != 0.0f, j < 18) << "row angles first, j=" << j;
    EXPECT_EQ(s[static_cast<size_t>(72 + j)] != 0.0f, j >= 18) << "column angles second, j=" << j;
  }
  EXPECT_FLOAT_EQ(s[0], std::sin(3.0f)) << "frequency 0 is 1";
  EXPECT_FLOAT_EQ(s[72 + 18], std::sin(5.0f));
}

TEST_F(ReferenceTest, RopeApplyIdentityAndNormPreservation) {
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    GuardedTensor x = random(dtype, {3, 2, 8});
    GuardedTensor ones = floats(DType::kF32, {3, 8}, std::vector<float>(24, 1.0f));
    GuardedTensor zeros = floats(DType::kF32, {3, 8}, std::vector<float>(24, 0.0f));
    GuardedTensor out = make(dtype, {3, 2, 8});
    FOVEA_ASSERT_OK(
        reference_.rope_apply(stream(), x.view(), ones.view(), zeros.view(), RopeArithmetic::kActivation, out.view()));
    EXPECT_EQ(out.read(), x.read());
  }
  GuardedTensor x = random(DType::kF32, {1, 1, 8});
  const float angle = 0.7f;
  GuardedTensor cos = floats(DType::kF32, {1, 8}, std::vector<float>(8, std::cos(angle)));
  GuardedTensor sin = floats(DType::kF32, {1, 8}, std::vector<float>(8, std::sin(angle)));
  GuardedTensor out = make(DType::kF32, {1, 1, 8});
  FOVEA_ASSERT_OK(
      reference_.rope_apply(stream(), x.view(), cos.view(), sin.view(), RopeArithmetic::kFloat32, out.view()));
  const std::vector<float> in = x.read();
  const std::vector<float> rotated = out.read();
  for (int j = 0; j < 4; ++j) {
    // Pair (j, j + 4) rotates by `angle`: first' = first cos - second sin.
    EXPECT_NEAR(rotated[j], in[j] * std::cos(angle) - in[j + 4] * std::sin(angle), 1e-6);
    EXPECT_NEAR(std::hypot(rotated[j], rotated[j + 4]), std::hypot(in[j], in[j + 4]), 1e-6);
  }
}

TEST_F(ReferenceTest, CausalChunkSeesItsOwnPrefixOnly) {
  // Equal keys make the softmax uniform, so each output is the mean of the values the query may see. A 3-token
  // chunk at the end of a 6-token sequence: query i sees positions 0..3+i.
  const int64_t head_dim = 4;
  GuardedTensor k_cache = floats(DType::kF32, {1, 8, 1, head_dim}, std::vector<float>(32, 0.5f));
  std::vector<float> v_values(32, 0.0f);
  for (int pos = 0; pos < 8; ++pos) v_values[static_cast<size_t>(pos * head_dim)] = static_cast<float>(pos);
  GuardedTensor v_cache = floats(DType::kF32, {1, 8, 1, head_dim}, v_values);
  GuardedTensor q = random(DType::kF32, {3, 1, head_dim});
  GuardedTensor query_start = ints({2}, {0, 3});
  GuardedTensor lens = ints({1}, {6});
  GuardedTensor table = ints({1, 1}, {0});
  GuardedTensor out = make(DType::kF32, {3, 1, head_dim});
  FOVEA_ASSERT_OK(reference_.paged_attention(stream(), q.view(), {k_cache.view(), v_cache.view(), 1.0f, 1.0f},
                                             {query_start.view(), lens.view(), table.view(), 3, 6}, 0.5f, out.view()));
  const std::vector<float> result = out.read();
  EXPECT_NEAR(result[0], (0 + 1 + 2 + 3) / 4.0, 1e-6);
  EXPECT_NEAR(result[4], (0 + 1 + 2 + 3 + 4) / 5.0, 1e-6);
  EXPECT_NEAR(result[8], (0 + 1 + 2 + 3 + 4 + 5) / 6.0, 1e-6);
}

TEST_F(ReferenceTest, GqaMapsConsecutiveQueryHeadsToOneKvHead) {
  // kv head 0 holds values 1, kv head 1 values -1; query heads 0-2 read head 0, 3-5 head 1.
  std::vector<float> v_values;
  for (int slot = 0; slot < 4; ++slot) {
    for (float value : {1.0f, -1.0f}) v_values.insert(v_values.end(), 2, value);
  }
  GuardedTensor k_cache = random(DType::kF32, {1, 4, 2, 2});
  GuardedTensor v_cache = floats(DType::kF32, {1, 4, 2, 2}, v_values);
  GuardedTensor q = random(DType::kF32, {1, 6, 2});
  GuardedTensor query_start = ints({2}, {0, 1});
  GuardedTensor lens = ints({1}, {4});
  GuardedTensor table = ints({1, 1}, {0});
  GuardedTensor out = make(DType::kF32, {1, 6, 2});
  FOVEA_ASSERT_OK(reference_.paged_attention(stream(), q.view(), {k_cache.view(), v_cache.view(), 1.0f, 1.0f},
                                             {query_start.view(), lens.view(), table.view(), 1, 4}, 1.0f, out.view()));
  const std::vector<float> result = out.read();
  for (int head = 0; head < 6; ++head) EXPECT_NEAR(result[static_cast<size_t>(head * 2)], head < 3 ? 1.0 : -1.0, 1e-6);
}

TEST_F(ReferenceTest, SegmentsDoNotSeeEachOther) {
  std::vector<float> v_values;
  for (int token = 0; token < 5; ++token) v_values.push_back(token < 2 ? 10.0f : -10.0f);
  GuardedTensor q = random(DType::kF32, {5, 1, 1});
  GuardedTensor k = random(DType::kF32, {5, 1, 1});
  GuardedTensor v = floats(DType::kF32, {5, 1, 1}, v_values);
  GuardedTensor cu = ints({3}, {0, 2, 5});
  GuardedTensor out = make(DType::kF32, {5, 1, 1});
  FOVEA_ASSERT_OK(
      reference_.segment_attention(stream(), q.view(), k.view(), v.view(), {cu.view(), 3}, 1.0f, out.view()));
  const std::vector<float> result = out.read();
  for (int token = 0; token < 5; ++token)
    EXPECT_NEAR(result[static_cast<size_t>(token)], token < 2 ? 10.0 : -10.0, 1e-5);
}

TEST_F(ReferenceTest, Fp8CacheStoresValueOverScale) {
  GuardedTensor k = floats(DType::kF32, {1, 1, 4}, {1.0f, -3.3f, 100.0f, 1000.0f});
  GuardedTensor slots = ints({1}, {2});
  GuardedTensor k_cache = make(DType::kF8E4M3, {1, 4, 1, 4});
  GuardedTensor v_cache = make(DType::kF8E4M3, {1, 4, 1, 4});
  FOVEA_ASSERT_OK(reference_.kv_cache_write(stream(), k.view(), k.view(), slots.view(),
                                            {k_cache.view(), v_cache.view(), 0.5f, 2.0f}));
  const std::vector<float> stored = k_cache.read();
  EXPECT_EQ(stored[8], 2.0f);
  EXPECT_EQ(stored[9], -6.5f);            // -6.6 rounds to the nearest e4m3 value
  EXPECT_EQ(stored[10], 192.0f);          // 200 rounds to 192
  EXPECT_EQ(stored[11], 448.0f);          // saturates
  EXPECT_EQ(v_cache.read()[11], 448.0f);  // 500 saturates too
  EXPECT_EQ(v_cache.read()[8], 0.5f);
}

TEST_F(ReferenceTest, SmallIntegerMatmulIsExact) {
  GuardedTensor x = floats(DType::kBF16, {2, 3}, {1, 2, 3, -1, 0, 4});
  GuardedTensor w_values = floats(DType::kBF16, {2, 3}, {1, 1, 1, 2, -1, 0.5f});
  GuardedTensor bias = floats(DType::kF32, {2}, {0.25f, -1});
  GuardedTensor y = make(DType::kBF16, {2, 2});
  Weight w;
  w.values = w_values.view();
  FOVEA_ASSERT_OK(reference_.linear(stream(), x.view(), w, &bias.view(), y.view()));
  EXPECT_EQ(y.read(), (std::vector<float>{6.25f, 0.5f, 3.25f, -1.0f}));
}

TEST_F(ReferenceTest, KnownActivationValuesAndSoftmaxSums) {
  GuardedTensor x = floats(DType::kF32, {1, 3}, {1.0f, -2.0f, 0.0f});
  GuardedTensor out = make(DType::kF32, {1, 3});
  FOVEA_ASSERT_OK(reference_.gelu(stream(), x.view(), GeluKind::kErf, out.view()));
  EXPECT_NEAR(out.read()[0], 0.8413447f, 1e-6);
  EXPECT_NEAR(out.read()[1], -0.04550026f, 1e-6);
  FOVEA_ASSERT_OK(reference_.gelu(stream(), x.view(), GeluKind::kTanh, out.view()));
  EXPECT_NEAR(out.read()[0], 0.8411920f, 1e-6);
  GuardedTensor up = floats(DType::kF32, {1, 3}, {2.0f, 1.0f, 5.0f});
  FOVEA_ASSERT_OK(reference_.swiglu(stream(), x.view(), up.view(), out.view()));
  EXPECT_NEAR(out.read()[0], 1.4621172f, 1e-6);
  EXPECT_NEAR(out.read()[1], -0.23840584f, 1e-6);
  EXPECT_EQ(out.read()[2], 0.0f);
  GuardedTensor logits = random(DType::kBF16, {2, 500}, -10.0f, 10.0f);
  GuardedTensor probs = make(DType::kF32, {2, 500});
  GuardedTensor log_probs = make(DType::kF32, {2, 500});
  FOVEA_ASSERT_OK(reference_.softmax(stream(), logits.view(), probs.view()));
  FOVEA_ASSERT_OK(reference_.log_softmax(stream(), logits.view(), log_probs.view()));
  const std::vector<float> p = probs.read();
  const std::vector<float> lp = log_probs.read();
  double row_sum = 0.0;
  for (size_t idx = 0; idx < 500; ++idx) {
    row_sum += p[idx];
    EXPECT_NEAR(std::log(p[idx]), lp[idx], 1e-4);
  }
  EXPECT_NEAR(row_sum, 1.0, 1e-6);
}

}  // namespace
}  // namespace fovea::backend::testing
