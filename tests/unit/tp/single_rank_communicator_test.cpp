// The TP=1 communicator on the CPU backend: identity collectives, the shared argument checks, abort, and
// create_communicators' choice (one backend: single-rank; several CPU backends: thread ranks).
#include "backend/cpu/single_rank_communicator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"

namespace fovea::backend {
namespace {

using tensor::DType;
using tensor::Shape;

class SingleRankCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base::Result<std::unique_ptr<Buffer>> buffer = backend_.allocate(4096);
    ASSERT_TRUE(buffer.ok());
    buffer_ = std::move(buffer).value();
  }

  Tensor f32(Shape shape, int64_t offset_bytes = 0) { return Tensor::on(*buffer_, DType::kF32, shape, offset_bytes); }
  Stream& stream() { return backend_.default_stream(); }

  cpu::CpuBackend backend_{cpu::CpuBackendOptions{.num_threads = 1}};
  std::unique_ptr<Buffer> buffer_;
  cpu::SingleRankCommunicator comm_{backend_};
};

TEST_F(SingleRankCommunicatorTest, IsAWorldOfOne) {
  EXPECT_EQ(comm_.rank(), 0);
  EXPECT_EQ(comm_.world_size(), 1);
  EXPECT_EQ(comm_.device(), backend_.device());
  EXPECT_EQ(comm_.name(), "single-rank");
  EXPECT_TRUE(comm_.health().ok());
}

TEST_F(SingleRankCommunicatorTest, AllReduceLeavesTheTensorAsItIs) {
  const Tensor t = f32(Shape({4, 8}));
  std::vector<float> values(32);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f - 3.0f;
  ASSERT_TRUE(backend_.copy_from_host(stream(), values.data(), t).ok());
  ASSERT_TRUE(comm_.all_reduce_sum(stream(), t).ok());
  std::vector<float> back(32);
  ASSERT_TRUE(backend_.copy_to_host(stream(), t, back.data()).ok());
  EXPECT_EQ(back, values);
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    EXPECT_TRUE(comm_.all_reduce_sum(stream(), Tensor::on(*buffer_, dtype, Shape({16}))).ok());
  }
}

TEST_F(SingleRankCommunicatorTest, AllReduceRefusesWhatNcclWouldRefuse) {
  const base::Status int_dtype = comm_.all_reduce_sum(stream(), Tensor::on(*buffer_, DType::kI32, Shape({8})));
  EXPECT_EQ(int_dtype.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(int_dtype.message().find("all_reduce_sum"), std::string::npos);
  Tensor strided = f32(Shape({4, 8})).slice_columns(0, 4);
  EXPECT_EQ(comm_.all_reduce_sum(stream(), strided).code(), base::StatusCode::kInvalidArgument);
  EXPECT_FALSE(comm_.all_reduce_sum(stream(), f32(Shape({2048}))).ok());  // past the end of the buffer
}

TEST_F(SingleRankCommunicatorTest, AllGatherOfOneRankIsACopy) {
  const Tensor input = f32(Shape({3, 5}));
  const Tensor output = f32(Shape({3, 5}), 1024);
  std::vector<float> values(15);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) + 1.0f;
  ASSERT_TRUE(backend_.copy_from_host(stream(), values.data(), input).ok());
  ASSERT_TRUE(comm_.all_gather_last_dim(stream(), input, Tensor{}, output).ok());
  std::vector<float> back(15);
  ASSERT_TRUE(backend_.copy_to_host(stream(), output, back.data()).ok());
  EXPECT_EQ(back, values);
}

TEST_F(SingleRankCommunicatorTest, AllGatherChecksShapesAndOverlap) {
  const Tensor input = f32(Shape({3, 5}));
  EXPECT_EQ(comm_.all_gather_last_dim(stream(), input, Tensor{}, f32(Shape({3, 6}), 1024)).code(),
            base::StatusCode::kInvalidArgument);
  EXPECT_EQ(comm_.all_gather_last_dim(stream(), input, Tensor{}, f32(Shape({3, 5}), 16)).code(),
            base::StatusCode::kInvalidArgument);  // overlaps the input
  EXPECT_EQ(comm_.all_gather_last_dim(stream(), f32(Shape({15})), Tensor{}, f32(Shape({15}), 1024)).code(),
            base::StatusCode::kInvalidArgument);  // not [rows, cols]
}

TEST_F(SingleRankCommunicatorTest, AbortMakesEveryLaterCallFail) {
  ASSERT_TRUE(comm_.barrier(stream()).ok());
  comm_.abort();
  comm_.abort();
  EXPECT_EQ(comm_.all_reduce_sum(stream(), f32(Shape({4}))).code(), base::StatusCode::kFailedPrecondition);
  EXPECT_EQ(comm_.barrier(stream()).code(), base::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(comm_.health().ok());
}

TEST(CreateCommunicators, OneBackendGivesTheSingleRankWorld) {
  cpu::CpuBackend backend(cpu::CpuBackendOptions{.num_threads = 1});
  Backend* backends[] = {&backend};
  base::Result<std::vector<std::unique_ptr<Communicator>>> comms = create_communicators(backends);
  ASSERT_TRUE(comms.ok()) << comms.status().message();
  ASSERT_EQ(comms->size(), 1u);
  EXPECT_EQ((*comms)[0]->name(), "single-rank");
}

TEST(CreateCommunicators, SeveralCpuBackendsGiveThreadRanks) {
  cpu::CpuBackend first(cpu::CpuBackendOptions{.num_threads = 1});
  cpu::CpuBackend second(cpu::CpuBackendOptions{.num_threads = 1});
  Backend* backends[] = {&first, &second, &first};
  base::Result<std::vector<std::unique_ptr<Communicator>>> comms = create_communicators(backends);
  ASSERT_TRUE(comms.ok()) << comms.status().message();
  ASSERT_EQ(comms->size(), 3u);
  for (int rank = 0; rank < 3; ++rank) {
    EXPECT_EQ((*comms)[static_cast<size_t>(rank)]->name(), "threads");
    EXPECT_EQ((*comms)[static_cast<size_t>(rank)]->rank(), rank);
    EXPECT_EQ((*comms)[static_cast<size_t>(rank)]->world_size(), 3);
  }
  EXPECT_FALSE(create_communicators(std::span<Backend* const>()).ok());
}

}  // namespace
}  // namespace fovea::backend
