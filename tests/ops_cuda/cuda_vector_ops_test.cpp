// The 16-byte paths of rms_norm, swiglu, add, rope_apply and kv_cache_write (vector_kernels.cu) against the CPU
// reference: bf16/f16 views with 16-byte aligned rows of a multiple of 8 elements (the other tests' odd shapes and
// paddings take the scalar kernels), at model shapes, in place and on the column slices of fused rows.
#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

constexpr DType kHalfDtypes[] = {DType::kBF16, DType::kF16};

std::string name_of(DType dtype) { return std::string(tensor::dtype_name(dtype)); }

TEST_F(CudaOpsTest, VectorRmsNormOverRowsAndHeads) {
  for (DType dtype : kHalfDtypes) {
    // Short vectors (8 .. 256 elements: lane groups of 1 .. 32) and long ones (a block per vector).
    for (const Shape& shape : {Shape{3, 8}, Shape{5, 24}, Shape{7, 4, 64}, Shape{33, 8, 128}, Shape{2, 3, 256},
                               Shape{9, 4096}, Shape{4, 5120}, Shape{2, 8192}}) {
      GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 8);
      GuardedTensor weight = random(dtype, {shape[shape.rank() - 1]}, 0.5f, 1.5f);
      check(
          "rms_norm", name_of(dtype) + " 16-byte " + shape.to_string(), dtype, shape, default_nmse(dtype),
          [&](Side& s, const Tensor& out) {
            return s.ops().rms_norm(s.stream(), s(x.view()), s(weight.view()), 1e-6f, out);
          },
          16);
    }
    // In place on the q heads of a fused qkv row, as the decoder calls it.
    const std::vector<float> source = random_floats(rng_, 13 * 48 * 128, -2.0f, 2.0f);
    GuardedTensor weight = random(dtype, {128}, 0.5f, 1.5f);
    check(
        "rms_norm", name_of(dtype) + " 16-byte in place on q of qkv", dtype, {13, 48 * 128}, default_nmse(dtype),
        [&](Side& s, const Tensor& qkv) {
          FOVEA_ASSIGN_OR_RETURN(Tensor q, qkv.slice_columns(0, 32 * 128).reshaped({13, 32, 128}));
          return s.ops().rms_norm(s.stream(), q, s(weight.view()), 1e-6f, q);
        },
        0, source);
  }
}

TEST_F(CudaOpsTest, VectorSwigluAndAdd) {
  for (DType dtype : kHalfDtypes) {
    for (int64_t num_rows : {1, 5, 64}) {
      const int64_t width = 1536;
      GuardedTensor fused = random(dtype, {num_rows, 2 * width}, -6.0f, 6.0f);
      check(
          "swiglu", name_of(dtype) + " 16-byte fused rows " + std::to_string(num_rows), dtype, {num_rows, width},
          default_nmse(dtype),
          [&](Side& s, const Tensor& out) {
            const Tensor both = s(fused.view());
            return s.ops().swiglu(s.stream(), both.slice_columns(0, width), both.slice_columns(width, width), out);
          },
          8);
      GuardedTensor a = random(dtype, {num_rows, width}, -4.0f, 4.0f, 8);
      GuardedTensor b = random(dtype, {num_rows, width}, -4.0f, 4.0f);
      check("add", name_of(dtype) + " 16-byte rows " + std::to_string(num_rows), dtype, {num_rows, width},
            default_nmse(dtype),
            [&](Side& s, const Tensor& out) { return s.ops().add(s.stream(), s(a.view()), s(b.view()), out); });
    }
    const std::vector<float> residual = random_floats(rng_, 40 * 2048, -4.0f, 4.0f);
    GuardedTensor delta = random(dtype, {40, 2048});
    check(
        "add", name_of(dtype) + " 16-byte in place", dtype, {40, 2048}, default_nmse(dtype),
        [&](Side& s, const Tensor& out) { return s.ops().add(s.stream(), out, s(delta.view()), out); }, 0, residual);
  }
}

TEST_F(CudaOpsTest, VectorRopeApplyInBothArithmetics) {
  for (DType dtype : kHalfDtypes) {
    for (RopeArithmetic arithmetic : {RopeArithmetic::kActivation, RopeArithmetic::kFloat32}) {
      for (const Shape& shape : {Shape{1, 16, 128}, Shape{37, 8, 64}, Shape{300, 4, 128}, Shape{3, 2, 16}}) {
        GuardedTensor x = random(dtype, shape, -3.0f, 3.0f, 8);
        GuardedTensor cos = random(DType::kF32, {shape[0], shape[2]}, -1.0f, 1.0f, 4);
        GuardedTensor sin = random(DType::kF32, {shape[0], shape[2]});
        check(
            "rope_apply",
            name_of(dtype) + (arithmetic == RopeArithmetic::kActivation ? " 16-byte act " : " 16-byte fp32 ") +
                shape.to_string(),
            dtype, shape, 0.0,
            [&](Side& s, const Tensor& out) {
              return s.ops().rope_apply(s.stream(), s(x.view()), s(cos.view()), s(sin.view()), arithmetic, out);
            },
            8);
      }
    }
  }
}

TEST_F(CudaOpsTest, VectorKvCacheWriteSkipsPaddingSlots) {
  for (DType dtype : kHalfDtypes) {
    const Shape cache_shape{6, 16, 2, 64};
    GuardedTensor k = random(dtype, {9, 2, 64}, -3.0f, 3.0f, 8);
    GuardedTensor v = random(dtype, {9, 2, 64}, -3.0f, 3.0f);
    GuardedTensor slots = make(DType::kI32, {9});
    slots.fill_i32({0, 17, 95, -1, 40, 41, 42, -1, 63});
    const std::vector<float> k_start = random_floats(rng_, 6 * 16 * 2 * 64, -1.0f, 1.0f);
    const std::vector<float> v_start = random_floats(rng_, 6 * 16 * 2 * 64, -1.0f, 1.0f);
    for (bool check_k : {true, false}) {
      GuardedTensor other = make(dtype, cache_shape);
      other.fill(check_k ? v_start : k_start);
      check(
          "kv_cache_write", name_of(dtype) + " 16-byte" + (check_k ? " k" : " v"), dtype, cache_shape, 0.0,
          [&](Side& s, const Tensor& out) {
            PagedKvCache cache{check_k ? out : s(other.view()), check_k ? s(other.view()) : out, 1.0f, 1.0f};
            return s.ops().kv_cache_write(s.stream(), s(k.view()), s(v.view()), s(slots.view()), cache);
          },
          0, check_k ? k_start : v_start);
    }
  }
}

}  // namespace
}  // namespace fovea::backend::testing
