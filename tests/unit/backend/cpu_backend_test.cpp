// CpuBackend: aligned allocation, copies to and from strided views, read-only wrapped memory, fp8 encoding.
#include "backend/cpu/cpu_backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "backend/cpu/element_io.h"
#include "tensor/float_convert.h"

namespace fovea::backend::cpu {
namespace {

using tensor::DType;

TEST(CpuBackendTest, AllocationsAreAlignedAndSized) {
  CpuBackend backend;
  for (size_t size : {size_t{1}, size_t{63}, size_t{4097}}) {
    auto buffer = backend.allocate(size);
    ASSERT_TRUE(buffer.ok());
    EXPECT_EQ(reinterpret_cast<uintptr_t>((*buffer)->data()) % 64, 0u);
    EXPECT_EQ((*buffer)->size_bytes(), size);
    EXPECT_FALSE((*buffer)->read_only());
    EXPECT_EQ((*buffer)->device(), backend.device());
  }
}

TEST(CpuBackendTest, CopiesRespectRowStrides) {
  CpuBackend backend;
  auto buffer = std::move(backend.allocate(1024)).value();
  std::memset(buffer->data(), 0, buffer->size_bytes());
  const Tensor matrix = Tensor::on(*buffer, DType::kF32, {3, 5});
  const Tensor columns = matrix.slice_columns(1, 3);
  const std::vector<float> values = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_TRUE(backend.copy_from_host(backend.default_stream(), values.data(), columns).ok());
  const auto* raw = static_cast<const float*>(buffer->data());
  EXPECT_EQ(std::vector<float>(raw, raw + 15), (std::vector<float>{0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 7, 8, 9, 0}));
  std::vector<float> back(9);
  ASSERT_TRUE(backend.copy_to_host(backend.default_stream(), columns, back.data()).ok());
  EXPECT_EQ(back, values);
  const Tensor dst = Tensor::on(*buffer, DType::kF32, {3, 3}, 512);
  ASSERT_TRUE(backend.copy(backend.default_stream(), columns, dst).ok());
  EXPECT_EQ(std::vector<float>(raw + 128, raw + 137), values);
  EXPECT_FALSE(backend.copy(backend.default_stream(), columns, matrix).ok()) << "shapes differ";
  ASSERT_TRUE(backend.synchronize(backend.default_stream()).ok());
}

TEST(CpuBackendTest, WrappedMemoryIsReadOnly) {
  CpuBackend backend;
  std::vector<float> host(16, 1.0f);
  auto wrapped = backend.wrap_host_memory(host.data(), host.size() * sizeof(float));
  EXPECT_TRUE(wrapped->read_only());
  const Tensor view = Tensor::on(*wrapped, DType::kF32, {4, 4});
  EXPECT_FALSE(backend.copy_from_host(backend.default_stream(), host.data(), view).ok());
  EXPECT_FALSE(backend.ops().gelu(backend.default_stream(), view, GeluKind::kTanh, view).ok());
}

TEST(CpuBackendTest, BothOpTablesAreReachable) {
  CpuBackend fast;
  CpuBackend reference(CpuBackendOptions{1, true, {}});
  EXPECT_EQ(fast.ops().name(), "cpu");
  EXPECT_EQ(reference.ops().name(), "cpu-reference");
  auto stream = fast.create_stream();
  ASSERT_TRUE(stream.ok());
  EXPECT_TRUE(fast.synchronize(**stream).ok());
}

TEST(ElementIoTest, Fp8EncoderMatchesTheTensorModuleEverywhere) {
  // Every bf16 bit pattern (all magnitudes, subnormal-to-saturating, NaN, infinities) plus random floats and the
  // midpoints between neighbouring fp8 codes.
  std::vector<float> probes;
  for (uint32_t bits = 0; bits < 0x10000; ++bits) probes.push_back(tensor::bf16_to_float(static_cast<uint16_t>(bits)));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-500.0f, 500.0f);
  for (int i = 0; i < 20000; ++i) probes.push_back(wide(rng));
  for (int code = 0; code < 0x7e; ++code) {
    const float mid = 0.5f * (tensor::f8e4m3_to_float(static_cast<uint8_t>(code)) +
                              tensor::f8e4m3_to_float(static_cast<uint8_t>(code + 1)));
    probes.push_back(mid);
    probes.push_back(-mid);
  }
  for (float value : probes) {
    ASSERT_EQ(encode_f8e4m3(value), tensor::float_to_f8e4m3(value)) << value;
  }
}

TEST(ElementIoTest, RoundTripsThroughEveryDtype) {
  alignas(8) std::byte bytes[8];
  for (float value : {0.0f, -1.5f, 3.14159f, 65504.0f, 1e-8f, -448.0f}) {
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16, DType::kF8E4M3}) {
      store_float(bytes, dtype, value);
      EXPECT_EQ(load_float(bytes, dtype), round_to(dtype, value)) << tensor::dtype_name(dtype) << " " << value;
    }
  }
}

}  // namespace
}  // namespace fovea::backend::cpu
