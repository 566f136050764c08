// Shared argument validation: each kind of bad call is refused with a message naming the op and the argument.
#include "backend/op_checks.h"

#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"

namespace fovea::backend {
namespace {

using tensor::DType;

// A buffer that claims to live on a CUDA card (never dereferenced).
class FakeDeviceBuffer final : public Buffer {
 public:
  Device device() const override { return Device{DeviceKind::kCuda, 1}; }
  void* data() const override { return nullptr; }
  size_t size_bytes() const override { return 1 << 20; }
  bool read_only() const override { return false; }
};

class OpChecksTest : public ::testing::Test {
 protected:
  Tensor make(DType dtype, tensor::Shape shape, int64_t offset_bytes = 0) {
    return Tensor::on(*buffers_.emplace_back(std::move(backend_.allocate(1 << 16)).value()), dtype, std::move(shape),
                      offset_bytes);
  }
  static void expect_error(const base::Status& status, std::string_view fragment) {
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
  }

  cpu::CpuBackend backend_;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  const Device cpu_{DeviceKind::kCpu, 0};
};

TEST_F(OpChecksTest, ViewsMustFitTheirBuffer) {
  expect_error(check_view("op", "x", make(DType::kF32, {100, 200}), cpu_), "runs past the end");
  expect_error(check_view("op", "x", make(DType::kF32, {4}, 2), cpu_), "not a multiple of its element size");
  Tensor strided = make(DType::kF32, {4, 8});
  strided.row_stride = 3;
  expect_error(check_view("op", "x", strided, cpu_), "row stride 3 below its row size 8");
  Tensor one_d = make(DType::kF32, {4});
  one_d.row_stride = 2;
  expect_error(check_view("op", "x", one_d, cpu_), "1-D views must be packed");
  EXPECT_TRUE(check_view("op", "x", make(DType::kF32, {128, 128}), cpu_).ok());
}

TEST_F(OpChecksTest, DeviceMismatchNamesBothDevices) {
  FakeDeviceBuffer device_buffer;
  const Tensor on_card = Tensor::on(device_buffer, DType::kBF16, {4, 4});
  expect_error(check_view("linear", "x", on_card, cpu_), "lives on cuda:1 but this op table runs on cpu");
}

TEST_F(OpChecksTest, LinearShapesAndDtypes) {
  const Tensor x = make(DType::kBF16, {2, 16});
  Weight w;
  w.values = make(DType::kBF16, {8, 16});
  const Tensor y = make(DType::kBF16, {2, 8});
  EXPECT_TRUE(check_linear(cpu_, x, w, nullptr, y).ok());
  Weight wrong_k;
  wrong_k.values = make(DType::kBF16, {8, 15});
  expect_error(check_linear(cpu_, x, wrong_k, nullptr, y), "x has 16 features but the weight of shape [8, 15]");
  // f32 y for a bf16 x: the unrounded fp32 sums tensor-parallel ranks all-reduce; any other mismatch is refused.
  EXPECT_TRUE(check_linear(cpu_, x, w, nullptr, make(DType::kF32, {2, 8})).ok());
  expect_error(check_linear(cpu_, x, w, nullptr, make(DType::kF16, {2, 8})), "y has dtype F16 but x has BF16");
  expect_error(check_linear(cpu_, make(DType::kI32, {2, 16}), w, nullptr, y), "x has dtype I32");
  const Tensor bias = make(DType::kF32, {9});
  expect_error(check_linear(cpu_, x, w, &bias, y), "bias has shape [9]; it must be [8]");
}

TEST_F(OpChecksTest, ReadOnlyOutputsAndPartialOverlapAreRefused) {
  std::vector<float> host(64);
  auto wrapped = backend_.wrap_host_memory(host.data(), host.size() * sizeof(float));
  const Tensor read_only = Tensor::on(*wrapped, DType::kF32, {4, 16});
  const Tensor x = make(DType::kF32, {4, 16});
  expect_error(check_unary("gelu", cpu_, x, read_only), "read-only");
  const Tensor base = make(DType::kF32, {8, 16});
  expect_error(check_unary("gelu", cpu_, base.slice_rows(0, 4), base.slice_rows(1, 4)), "partly overlaps");
  EXPECT_TRUE(check_unary("gelu", cpu_, base.slice_rows(0, 4), base.slice_rows(0, 4)).ok());
  EXPECT_TRUE(check_unary("gelu", cpu_, base.slice_rows(0, 4), base.slice_rows(4, 4)).ok());
}

TEST_F(OpChecksTest, AttentionArguments) {
  const Tensor k_cache = make(DType::kBF16, {4, 16, 2, 64});
  const PagedKvCache cache{k_cache, make(DType::kBF16, {4, 16, 2, 64}), 1.0f, 1.0f};
  const PagedAttentionBatch batch{make(DType::kI32, {3}), make(DType::kI32, {2}), make(DType::kI32, {2, 4}), 8, 64};
  EXPECT_TRUE(
      check_paged_attention(cpu_, make(DType::kBF16, {5, 6, 64}), cache, batch, make(DType::kBF16, {5, 6, 64})).ok());
  expect_error(
      check_paged_attention(cpu_, make(DType::kBF16, {5, 5, 64}), cache, batch, make(DType::kBF16, {5, 5, 64})),
      "5 query heads are not a multiple of 2 kv heads");
  const PagedKvCache mismatched{k_cache, make(DType::kF16, {4, 16, 2, 64}), 1.0f, 1.0f};
  expect_error(
      check_paged_attention(cpu_, make(DType::kBF16, {5, 6, 64}), mismatched, batch, make(DType::kBF16, {5, 6, 64})),
      "v cache has dtype F16 but k cache has BF16");
  const PagedKvCache aliased{k_cache, k_cache, 1.0f, 1.0f};
  expect_error(check_kv_cache_write(cpu_, make(DType::kBF16, {3, 2, 64}), make(DType::kBF16, {3, 2, 64}),
                                    make(DType::kI32, {3}), aliased),
               "overlaps");
  const PagedKvCache bad_scale{make(DType::kF8E4M3, {4, 16, 2, 64}), make(DType::kF8E4M3, {4, 16, 2, 64}), 0.0f, 1.0f};
  expect_error(check_kv_cache_write(cpu_, make(DType::kBF16, {3, 2, 64}), make(DType::kBF16, {3, 2, 64}),
                                    make(DType::kI32, {3}), bad_scale),
               "scales must be finite and > 0");
}

TEST_F(OpChecksTest, RopeConfigurations) {
  const Tensor cos = make(DType::kF32, {5, 128});
  const Tensor sin = make(DType::kF32, {5, 128});
  RopeConfig mrope{RopeKind::kInterleavedMrope, 5e6f, 128, {24, 20, 20}};
  EXPECT_TRUE(check_rope_cos_sin(cpu_, make(DType::kI32, {3, 5}), mrope, cos, sin).ok());
  expect_error(check_rope_cos_sin(cpu_, make(DType::kI32, {5}), mrope, cos, sin), "must have 2 dimensions");
  RopeConfig vision{RopeKind::kVision2d, 1e4f, 70, {}};
  expect_error(check_rope_cos_sin(cpu_, make(DType::kI32, {2, 5}), vision, make(DType::kF32, {5, 70}),
                                  make(DType::kF32, {5, 70})),
               "multiple of 4");
  RopeConfig bad_theta{RopeKind::kLinear, 0.0f, 128, {}};
  expect_error(check_rope_cos_sin(cpu_, make(DType::kI32, {5}), bad_theta, cos, sin), "theta");
}

}  // namespace
}  // namespace fovea::backend
