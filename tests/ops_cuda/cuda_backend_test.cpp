// CudaBackend itself: creation by name (also without a GPU), pool allocation and reuse, copies of strided views
// host<->device and device<->device, extra streams, and refusals of tensors that live on the wrong device.
#include "backend/cuda/cuda_backend.h"

#include <numeric>

#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

TEST(CudaFactoryTest, NamesThatAreNotCudaDevicesAreRejected) {
  for (const char* name : {"cpu", "cuda:", "cuda:-1", "cuda:1x", "gpu"}) {
    auto backend = cuda::create_cuda_backend(name);
    ASSERT_FALSE(backend.ok()) << name;
    EXPECT_EQ(backend.status().code(), base::StatusCode::kInvalidArgument) << name;
  }
}

TEST(CudaFactoryTest, AMissingCardIsUnavailableNotACrash) {
  auto backend = cuda::create_cuda_backend("cuda:4096");
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), base::StatusCode::kUnavailable) << backend.status().to_string();
}

TEST_F(CudaOpsTest, BackendNamesItsCard) {
  EXPECT_EQ(gpu_->name(), "cuda");
  EXPECT_EQ(gpu_->device(), (Device{DeviceKind::kCuda, 0}));
  EXPECT_EQ(gpu_->ops().name(), "cuda");
}

TEST_F(CudaOpsTest, StridedCopiesRoundTrip) {
  // A packed [7, 33] f32 host matrix into columns 10..42 of a [7, 50] device matrix, then device to device into a
  // packed tensor, and both back to the host.
  std::vector<float> host(7 * 33);
  std::iota(host.begin(), host.end(), 1.0f);
  auto wide = gpu_->allocate(7 * 50 * sizeof(float));
  auto packed = gpu_->allocate(7 * 33 * sizeof(float));
  ASSERT_TRUE(wide.ok() && packed.ok());
  Tensor strided = Tensor::on(**wide, DType::kF32, {7, 50}).slice_columns(10, 33);
  const Tensor dense = Tensor::on(**packed, DType::kF32, {7, 33});
  Stream& stream = gpu_->default_stream();
  FOVEA_ASSERT_OK(gpu_->copy_from_host(stream, host.data(), strided));
  FOVEA_ASSERT_OK(gpu_->copy(stream, strided, dense));
  std::vector<float> back(7 * 33, -1.0f);
  std::vector<float> back_strided(7 * 33, -1.0f);
  FOVEA_ASSERT_OK(gpu_->copy_to_host(stream, dense, back.data()));
  FOVEA_ASSERT_OK(gpu_->copy_to_host(stream, strided, back_strided.data()));
  FOVEA_ASSERT_OK(gpu_->synchronize(stream));
  EXPECT_EQ(back, host);
  EXPECT_EQ(back_strided, host);
}

TEST_F(CudaOpsTest, ExtraStreamsSeeBuffersAllocatedBeforeThem) {
  auto stream = gpu_->create_stream();
  ASSERT_TRUE(stream.ok());
  auto buffer = gpu_->allocate(1000 * sizeof(int32_t));
  ASSERT_TRUE(buffer.ok());
  std::vector<int32_t> values(1000);
  std::iota(values.begin(), values.end(), 5);
  const Tensor view = Tensor::on(**buffer, DType::kI32, {1000});
  FOVEA_ASSERT_OK(gpu_->copy_from_host(**stream, values.data(), view));
  std::vector<int32_t> back(1000, 0);
  FOVEA_ASSERT_OK(gpu_->copy_to_host(**stream, view, back.data()));
  FOVEA_ASSERT_OK(gpu_->synchronize(**stream));
  EXPECT_EQ(back, values);
}

TEST_F(CudaOpsTest, FreedBuffersAreReusedFromThePool) {
  auto* backend = dynamic_cast<cuda::CudaBackend*>(gpu_.get());
  ASSERT_NE(backend, nullptr);
  for (int round = 0; round < 3; ++round) {
    auto buffer = gpu_->allocate(64 << 20);
    ASSERT_TRUE(buffer.ok());
  }
  FOVEA_ASSERT_OK(gpu_->synchronize(gpu_->default_stream()));
  const size_t reserved = backend->reserved_bytes();
  for (int round = 0; round < 10; ++round) {
    auto buffer = gpu_->allocate(64 << 20);
    ASSERT_TRUE(buffer.ok());
  }
  FOVEA_ASSERT_OK(gpu_->synchronize(gpu_->default_stream()));
  EXPECT_EQ(backend->reserved_bytes(), reserved);
}

TEST_F(CudaOpsTest, AnAllocationBeyondTheCardIsResourceExhausted) {
  auto buffer = gpu_->allocate(size_t{1} << 50);
  ASSERT_FALSE(buffer.ok());
  EXPECT_EQ(buffer.status().code(), base::StatusCode::kResourceExhausted) << buffer.status().to_string();
  // The backend still works afterwards.
  auto small = gpu_->allocate(256);
  EXPECT_TRUE(small.ok());
}

TEST_F(CudaOpsTest, HostTensorsAndHostStreamsAreRefused) {
  GuardedTensor x = random(DType::kBF16, {4, 8});
  GuardedTensor out = make(DType::kBF16, {4, 8});
  Side device = device_side();
  // A host tensor passed to the GPU op table.
  base::Status status = device.ops().gelu(device.stream(), x.view(), GeluKind::kTanh, device(out.view()));
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
  // A CPU stream passed to the GPU op table.
  status = device.ops().gelu(host_.default_stream(), device(x.view()), GeluKind::kTanh, device(out.view()));
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
  // Copies of host memory views.
  std::vector<uint16_t> bytes(32);
  status = gpu_->copy_from_host(gpu_->default_stream(), bytes.data(), x.view());
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
}

}  // namespace
}  // namespace fovea::backend::testing
