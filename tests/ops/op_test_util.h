// Helpers of the op tests: tensors with guard bytes around them (and between strided rows), random fills, the
// fast CPU op variants to check, and an NMSE comparison that also checks NaN/Inf and the guards.
// Must not contain tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/reference_ops.h"
#include "base/thread_pool.h"

#define FOVEA_ASSERT_OK(expr)                                               \
  do {                                                                      \
    const ::fovea::base::Status fovea_test_status_ = (expr);                \
    ASSERT_TRUE(fovea_test_status_.ok()) << fovea_test_status_.to_string(); \
  } while (false)

namespace fovea::backend::testing {

// A view inside a bigger buffer: kGuardBytes before and after it and row_padding elements after each row, all
// holding a byte pattern that guards_intact() checks after an op ran.
class GuardedTensor {
 public:
  static constexpr int64_t kGuardBytes = 64;

  GuardedTensor(Backend& backend, tensor::DType dtype, tensor::Shape shape, int64_t row_padding = 0);

  const Tensor& view() const { return view_; }
  int64_t numel() const { return view_.numel(); }

  // Row-major values, rounded to the dtype.
  void fill(const std::vector<float>& values);
  void fill_random(std::mt19937& rng, float low = -1.0f, float high = 1.0f);
  void fill_i32(const std::vector<int32_t>& values);
  // Outputs start as NaN so an element the op forgets to write shows up.
  void fill_nan();

  std::vector<float> read() const;
  std::vector<int32_t> read_i32() const;
  // Every byte outside the view still holds the pattern.
  bool guards_intact() const;

 private:
  std::byte* element(int64_t flat_idx) const;

  std::unique_ptr<Buffer> buffer_;
  Tensor view_;
};

// The fast op tables under test: thread counts and forced paths.
struct FastVariant {
  std::string name;
  std::unique_ptr<base::ThreadPool> pool;
  std::unique_ptr<cpu::CpuOps> ops;
};
std::vector<FastVariant> make_fast_variants();

// sum (a - e)^2 / sum e^2 (0 when both are all zero).
double nmse(const std::vector<float>& actual, const std::vector<float>& expected);

// Guards intact, no NaN/Inf where the reference has none, NMSE at most max_nmse.
::testing::AssertionResult matches(const GuardedTensor& actual, const GuardedTensor& expected, double max_nmse);

// The NMSE bound of an op's output of `dtype`: rounding differences of one ulp in a few elements, never more.
double default_nmse(tensor::DType dtype);

std::vector<float> random_floats(std::mt19937& rng, int64_t count, float low, float high);

// Fixture: a CPU backend for buffers, the reference, every fast variant and a seeded generator.
class OpsTest : public ::testing::Test {
 protected:
  Stream& stream() { return backend_.default_stream(); }
  GuardedTensor make(tensor::DType dtype, tensor::Shape shape, int64_t row_padding = 0) {
    return GuardedTensor(backend_, dtype, std::move(shape), row_padding);
  }
  GuardedTensor random(tensor::DType dtype, tensor::Shape shape, float low = -1.0f, float high = 1.0f,
                       int64_t row_padding = 0) {
    GuardedTensor t = make(dtype, std::move(shape), row_padding);
    t.fill_random(rng_, low, high);
    return t;
  }

  // Runs call(ops, out) on the reference and on every fast variant, each into a fresh NaN-filled guarded output
  // of out_shape/out_dtype (rows padded by out_padding), and checks each against the reference.
  template <typename Call>
  void check_op(tensor::DType out_dtype, const tensor::Shape& out_shape, double max_nmse, Call&& call,
                int64_t out_padding = 0) {
    GuardedTensor expected = make(out_dtype, out_shape, out_padding);
    expected.fill_nan();
    FOVEA_ASSERT_OK(call(static_cast<Ops&>(reference_), expected.view()));
    ASSERT_TRUE(expected.guards_intact()) << "the reference wrote outside its output";
    for (FastVariant& variant : variants_) {
      GuardedTensor actual = make(out_dtype, out_shape, out_padding);
      actual.fill_nan();
      FOVEA_ASSERT_OK(call(static_cast<Ops&>(*variant.ops), actual.view()));
      EXPECT_TRUE(matches(actual, expected, max_nmse)) << variant.name;
    }
  }

  cpu::CpuBackend backend_{cpu::CpuBackendOptions{1, true, {}}};
  cpu::ReferenceOps reference_;
  std::vector<FastVariant> variants_ = make_fast_variants();
  std::mt19937 rng_{20240611};
};

}  // namespace fovea::backend::testing
