// Helpers of the GPU op tests: a fixture with the CPU reference and a CUDA backend (every test skips when no GPU
// is visible), a Side that runs one op call either on the reference with host views or on the GPU with device
// mirrors of the same guarded buffers (guards and row padding travel too, so they are checked after the GPU op),
// and the per-op NMSE table printed at the end of the run. Must not contain tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/cuda_factory.h"
#include "op_test_util.h"

namespace fovea::backend::testing {

// One op call's world: the ops, a stream and the memory the views live in.
class Side {
 public:
  Side(Ops& ops, Backend& backend, bool on_device) : ops_(ops), backend_(backend), on_device_(on_device) {}

  Ops& ops() { return ops_; }
  Stream& stream() { return backend_.default_stream(); }
  Backend& backend() { return backend_; }
  bool on_device() const { return on_device_; }

  // The same view in this side's memory: the host view itself, or the view over a device copy of its whole
  // host buffer (made on first use, so later host changes are not seen).
  Tensor operator()(const Tensor& host_view);
  // Copies the device copy of `host_view`'s buffer back over the host buffer (all of it, guards included).
  base::Status fetch(const Tensor& host_view);
  // Copies the host buffer of `host_view` again over its device copy (after the host values changed).
  base::Status upload(const Tensor& host_view);

 private:
  Ops& ops_;
  Backend& backend_;
  bool on_device_;
  std::map<const Buffer*, std::unique_ptr<Buffer>> mirrors_;  // host buffer -> its device copy
};

// One comparison for the summary table.
struct OpResult {
  std::string op;
  std::string what;
  double nmse;
  double bound;
  bool pass;
};
void record_result(OpResult result);

// NMSE over the elements where the reference is finite.
double finite_nmse(const GuardedTensor& actual, const GuardedTensor& expected);

class CudaOpsTest : public ::testing::Test {
 protected:
  void SetUp() override;

  GuardedTensor make(tensor::DType dtype, tensor::Shape shape, int64_t row_padding = 0) {
    return GuardedTensor(host_, dtype, std::move(shape), row_padding);
  }
  GuardedTensor random(tensor::DType dtype, tensor::Shape shape, float low = -1.0f, float high = 1.0f,
                       int64_t row_padding = 0) {
    GuardedTensor t = make(dtype, std::move(shape), row_padding);
    t.fill_random(rng_, low, high);
    return t;
  }
  Side host_side() { return Side(reference_, host_, false); }
  Side device_side() { return Side(gpu_->ops(), *gpu_, true); }

  // Runs call(side, out) on the reference and on the GPU, each into a fresh guarded output (NaN, or `initial`
  // when given), and compares them: guards, NaN/Inf, NMSE <= max_nmse. One row of the table under `op`.
  template <typename Call>
  void check(const std::string& op, const std::string& what, tensor::DType out_dtype, const tensor::Shape& out_shape,
             double max_nmse, Call&& call, int64_t out_padding = 0,
             const std::optional<std::vector<float>>& initial = std::nullopt) {
    SCOPED_TRACE(what);
    GuardedTensor expected = make(out_dtype, out_shape, out_padding);
    GuardedTensor actual = make(out_dtype, out_shape, out_padding);
    for (GuardedTensor* t : {&expected, &actual}) {
      if (initial) {
        t->fill(*initial);
      } else {
        t->fill_nan();
      }
    }
    Side host = host_side();
    FOVEA_ASSERT_OK(call(host, expected.view()));
    ASSERT_TRUE(expected.guards_intact()) << "the reference wrote outside its output";
    Side device = device_side();
    const Tensor out = device(actual.view());
    FOVEA_ASSERT_OK(call(device, out));
    FOVEA_ASSERT_OK(device.fetch(actual.view()));
    const ::testing::AssertionResult result = matches(actual, expected, max_nmse);
    EXPECT_TRUE(result) << op << " " << what;
    record_result({op, what, finite_nmse(actual, expected), max_nmse, static_cast<bool>(result)});
  }

  cpu::CpuBackend host_{cpu::CpuBackendOptions{1, true, {}}};
  cpu::ReferenceOps reference_;
  std::unique_ptr<Backend> gpu_;
  std::mt19937 rng_{20240611};
};

}  // namespace fovea::backend::testing
