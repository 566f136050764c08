// GuardedTensor, the fast variants and the comparisons of the op tests.
#include "op_test_util.h"

#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/element_io.h"
#include "backend/cpu/simd_bf16_kernels.h"

namespace fovea::backend::testing {
namespace {

constexpr std::byte kPattern{0xa5};

}  // namespace

GuardedTensor::GuardedTensor(Backend& backend, tensor::DType dtype, tensor::Shape shape, int64_t row_padding) {
  const int64_t element_bytes = tensor::dtype_size_bytes(dtype);
  Tensor probe;
  probe.dtype = dtype;
  probe.shape = shape;
  const int64_t row_numel = probe.rank() == 1 ? 1 : probe.row_numel();
  const int64_t stride = row_numel + (probe.rank() == 1 ? 0 : row_padding);
  const int64_t span_bytes = std::max<int64_t>(probe.num_rows(), 1) * stride * element_bytes;
  auto buffer = backend.allocate(static_cast<size_t>(span_bytes + 2 * kGuardBytes));
  EXPECT_TRUE(buffer.ok()) << buffer.status().to_string();
  buffer_ = std::move(buffer).value();
  std::memset(buffer_->data(), static_cast<int>(kPattern), buffer_->size_bytes());
  view_ = Tensor::on(*buffer_, dtype, std::move(shape), kGuardBytes);
  if (stride != row_numel) view_.row_stride = stride;
}

std::byte* GuardedTensor::element(int64_t flat_idx) const {
  const int64_t row_numel = view_.rank() == 1 ? view_.numel() : view_.row_numel();
  return view_.host_bytes() +
         ((flat_idx / row_numel) * view_.stride_rows() + flat_idx % row_numel) * view_.element_size_bytes();
}

void GuardedTensor::fill(const std::vector<float>& values) {
  ASSERT_EQ(static_cast<int64_t>(values.size()), numel());
  for (int64_t idx = 0; idx < numel(); ++idx)
    cpu::store_float(element(idx), view_.dtype, values[static_cast<size_t>(idx)]);
}

void GuardedTensor::fill_random(std::mt19937& rng, float low, float high) {
  fill(random_floats(rng, numel(), low, high));
}

void GuardedTensor::fill_i32(const std::vector<int32_t>& values) {
  ASSERT_EQ(view_.dtype, tensor::DType::kI32);
  ASSERT_EQ(static_cast<int64_t>(values.size()), numel());
  for (int64_t idx = 0; idx < numel(); ++idx) cpu::store_i32(element(idx), values[static_cast<size_t>(idx)]);
}

void GuardedTensor::fill_nan() {
  for (int64_t idx = 0; idx < numel(); ++idx) {
    if (view_.dtype == tensor::DType::kI32) {
      cpu::store_i32(element(idx), -12345);
    } else {
      cpu::store_float(element(idx), view_.dtype, NAN);
    }
  }
}

std::vector<float> GuardedTensor::read() const {
  std::vector<float> values(static_cast<size_t>(numel()));
  for (int64_t idx = 0; idx < numel(); ++idx)
    values[static_cast<size_t>(idx)] = cpu::load_float(element(idx), view_.dtype);
  return values;
}

std::vector<int32_t> GuardedTensor::read_i32() const {
  std::vector<int32_t> values(static_cast<size_t>(numel()));
  for (int64_t idx = 0; idx < numel(); ++idx) values[static_cast<size_t>(idx)] = cpu::load_i32(element(idx));
  return values;
}

bool GuardedTensor::guards_intact() const {
  const auto* bytes = static_cast<const std::byte*>(buffer_->data());
  const int64_t element_bytes = view_.element_size_bytes();
  // A 1-D view is one packed row.
  const bool one_row = view_.rank() == 1;
  const int64_t num_rows = view_.numel() == 0 ? 0 : (one_row ? 1 : view_.num_rows());
  const int64_t row_bytes = (one_row ? view_.numel() : view_.row_numel()) * element_bytes;
  const int64_t stride_bytes = one_row ? row_bytes : view_.stride_rows() * element_bytes;
  for (int64_t byte_idx = 0; byte_idx < static_cast<int64_t>(buffer_->size_bytes()); ++byte_idx) {
    const int64_t rel = byte_idx - view_.offset_bytes;
    const bool inside = rel >= 0 && rel < num_rows * stride_bytes && rel % stride_bytes < row_bytes;
    if (!inside && bytes[byte_idx] != kPattern) return false;
  }
  return true;
}

std::vector<FastVariant> make_fast_variants() {
  std::vector<FastVariant> variants;
  const auto add = [&](std::string name, int num_threads, cpu::CpuOpsOptions options) {
    FastVariant variant;
    variant.name = std::move(name);
    variant.pool = std::make_unique<base::ThreadPool>(num_threads);
    variant.ops = std::make_unique<cpu::CpuOps>(*variant.pool, options);
    variants.push_back(std::move(variant));
  };
  add("auto-1-thread", 1, {});
  add("auto-3-threads", 3, {});
  add("auto-no-avx512bf16-3-threads", 3, {cpu::LinearPath::kAuto, cpu::SimdPath::kAuto, 32, false});
  add("portable-3-threads", 3, {cpu::LinearPath::kGemvPortable, cpu::SimdPath::kPortable, 8});
  add("gemm-blas-3-threads", 3, {cpu::LinearPath::kGemmBlas, cpu::SimdPath::kAuto, 8});
  if (cpu::cpu_has_avx2_fma()) add("gemv-avx2-3-threads", 3, {cpu::LinearPath::kGemvAvx2, cpu::SimdPath::kAuto, 8});
  if (cpu::cpu_has_avx512_bf16()) {
    add("avx512bf16-3-threads", 3, {cpu::LinearPath::kAuto, cpu::SimdPath::kAuto, 8, true});
  }
  return variants;
}

double nmse(const std::vector<float>& actual, const std::vector<float>& expected) {
  double error = 0.0;
  double energy = 0.0;
  for (size_t idx = 0; idx < expected.size(); ++idx) {
    const double diff = static_cast<double>(actual[idx]) - expected[idx];
    error += diff * diff;
    energy += static_cast<double>(expected[idx]) * expected[idx];
  }
  if (energy == 0.0) return error == 0.0 ? 0.0 : INFINITY;
  return error / energy;
}

::testing::AssertionResult matches(const GuardedTensor& actual, const GuardedTensor& expected, double max_nmse) {
  if (!actual.guards_intact()) return ::testing::AssertionFailure() << "bytes outside the output view changed";
  const std::vector<float> got = actual.read();
  const std::vector<float> want = expected.read();
  for (size_t idx = 0; idx < want.size(); ++idx) {
    if (std::isfinite(want[idx]) && !std::isfinite(got[idx])) {
      return ::testing::AssertionFailure()
             << "element " << idx << " is " << got[idx] << ", the reference has " << want[idx];
    }
    if (!std::isfinite(want[idx]) && std::isfinite(got[idx])) {
      return ::testing::AssertionFailure()
             << "element " << idx << " is " << got[idx] << " but the reference has " << want[idx];
    }
  }
  std::vector<float> finite_got;
  std::vector<float> finite_want;
  size_t worst_idx = 0;
  double worst = 0.0;
  for (size_t idx = 0; idx < want.size(); ++idx) {
    if (!std::isfinite(want[idx])) continue;
    finite_got.push_back(got[idx]);
    finite_want.push_back(want[idx]);
    const double diff = std::fabs(static_cast<double>(got[idx]) - want[idx]);
    if (diff > worst) {
      worst = diff;
      worst_idx = idx;
    }
  }
  const double error = nmse(finite_got, finite_want);
  if (error > max_nmse) {
    return ::testing::AssertionFailure() << "NMSE " << error << " > " << max_nmse << "; worst element " << worst_idx
                                         << ": " << got[worst_idx] << " vs " << want[worst_idx];
  }
  return ::testing::AssertionSuccess();
}

double default_nmse(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return 1e-5;
    case tensor::DType::kF16:
      return 1e-7;
    default:
      return 1e-10;
  }
}

std::vector<float> random_floats(std::mt19937& rng, int64_t count, float low, float high) {
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(static_cast<size_t>(count));
  for (float& value : values) value = dist(rng);
  return values;
}

}  // namespace fovea::backend::testing
