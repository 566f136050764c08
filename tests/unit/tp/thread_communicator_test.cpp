// The CPU thread communicator: N rank threads over CPU backends. All-reduce of f32 / bf16 / f16 equals the sum in
// rank order rounded once, with identical bytes on every rank; all-gather places rank r's block at its columns;
// many collectives in a row stay in step; the shared argument checks; abort releases a rank blocked in a collective.
#include "backend/cpu/thread_communicator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "tensor/float_convert.h"

namespace fovea::backend {
namespace {

using tensor::DType;
using tensor::Shape;

// N CPU backends (one thread each) with their communicators and a buffer per rank.
class ThreadWorldTest : public ::testing::Test {
 protected:
  void make_world(int world_size) {
    std::vector<Backend*> pointers;
    for (int rank = 0; rank < world_size; ++rank) {
      backends_.push_back(std::make_unique<cpu::CpuBackend>(cpu::CpuBackendOptions{.num_threads = 1}));
      pointers.push_back(backends_.back().get());
      base::Result<std::unique_ptr<Buffer>> buffer = backends_.back()->allocate(1 << 16);
      ASSERT_TRUE(buffer.ok());
      buffers_.push_back(std::move(buffer).value());
    }
    base::Result<std::vector<std::unique_ptr<Communicator>>> comms = create_communicators(pointers);
    ASSERT_TRUE(comms.ok()) << comms.status().message();
    comms_ = std::move(comms).value();
  }

  // Runs fn(rank) on one thread per rank and waits for all of them.
  void on_every_rank(const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int rank = 0; rank < static_cast<int>(comms_.size()); ++rank) threads.emplace_back(fn, rank);
    for (std::thread& thread : threads) thread.join();
  }

  Tensor tensor(int rank, DType dtype, Shape shape, int64_t offset_bytes = 0) {
    return Tensor::on(*buffers_[static_cast<size_t>(rank)], dtype, std::move(shape), offset_bytes);
  }
  Stream& stream(int rank) { return backends_[static_cast<size_t>(rank)]->default_stream(); }
  Communicator& comm(int rank) { return *comms_[static_cast<size_t>(rank)]; }

  std::vector<std::unique_ptr<cpu::CpuBackend>> backends_;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<std::unique_ptr<Communicator>> comms_;
};

float value_of(int rank, int64_t idx) {
  return 0.37f * static_cast<float>(idx % 29) - 1.3f * static_cast<float>(rank) + 0.01f;
}

TEST_F(ThreadWorldTest, AllReduceF32IsTheSumInRankOrder) {
  make_world(3);
  constexpr int64_t kNumel = 5 * 17;
  std::vector<std::vector<float>> results(3, std::vector<float>(kNumel));
  on_every_rank([&](int rank) {
    std::vector<float> values(kNumel);
    for (int64_t idx = 0; idx < kNumel; ++idx) values[static_cast<size_t>(idx)] = value_of(rank, idx);
    const Tensor t = tensor(rank, DType::kF32, Shape({5, 17}));
    ASSERT_TRUE(backends_[static_cast<size_t>(rank)]->copy_from_host(stream(rank), values.data(), t).ok());
    const base::Status status = comm(rank).all_reduce_sum(stream(rank), t);
    ASSERT_TRUE(status.ok()) << status.message();
    std::memcpy(results[static_cast<size_t>(rank)].data(), t.host_bytes(), kNumel * sizeof(float));
  });
  for (int64_t idx = 0; idx < kNumel; ++idx) {
    const float expected = (0.0f + value_of(0, idx)) + value_of(1, idx) + value_of(2, idx);
    EXPECT_EQ(results[0][static_cast<size_t>(idx)], expected) << idx;
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST_F(ThreadWorldTest, AllReduceHalfDtypesRoundOnceAndAgreeBitwise) {
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    comms_.clear();
    backends_.clear();
    buffers_.clear();
    make_world(4);
    constexpr int64_t kNumel = 64;
    std::vector<std::vector<uint16_t>> results(4, std::vector<uint16_t>(kNumel));
    auto encode = [&](float v) { return dtype == DType::kBF16 ? tensor::float_to_bf16(v) : tensor::float_to_f16(v); };
    auto decode = [&](uint16_t b) {
      return dtype == DType::kBF16 ? tensor::bf16_to_float(b) : tensor::f16_to_float(b);
    };
    on_every_rank([&](int rank) {
      std::vector<uint16_t> bits(kNumel);
      for (int64_t idx = 0; idx < kNumel; ++idx) bits[static_cast<size_t>(idx)] = encode(value_of(rank, idx));
      const Tensor t = tensor(rank, dtype, Shape({kNumel}));
      ASSERT_TRUE(backends_[static_cast<size_t>(rank)]->copy_from_host(stream(rank), bits.data(), t).ok());
      ASSERT_TRUE(comm(rank).all_reduce_sum(stream(rank), t).ok());
      std::memcpy(results[static_cast<size_t>(rank)].data(), t.host_bytes(), kNumel * sizeof(uint16_t));
    });
    for (int64_t idx = 0; idx < kNumel; ++idx) {
      float sum = 0.0f;
      for (int rank = 0; rank < 4; ++rank) sum += decode(encode(value_of(rank, idx)));
      EXPECT_EQ(results[0][static_cast<size_t>(idx)], encode(sum)) << tensor::dtype_name(dtype) << " " << idx;
    }
    for (int rank = 1; rank < 4; ++rank) EXPECT_EQ(results[0], results[static_cast<size_t>(rank)]);
  }
}

TEST_F(ThreadWorldTest, AllGatherPlacesEachRankAtItsColumns) {
  make_world(2);
  constexpr int64_t kRows = 3;
  constexpr int64_t kCols = 5;
  std::vector<std::vector<float>> results(2, std::vector<float>(kRows * kCols * 2));
  on_every_rank([&](int rank) {
    std::vector<float> values(kRows * kCols);
    for (int64_t idx = 0; idx < kRows * kCols; ++idx) values[static_cast<size_t>(idx)] = value_of(rank, idx);
    const Tensor input = tensor(rank, DType::kF32, Shape({kRows, kCols}));
    const Tensor output = tensor(rank, DType::kF32, Shape({kRows, 2 * kCols}), 1024);
    const Tensor staging = tensor(rank, DType::kF32, Shape({2 * kRows * kCols}), 4096);
    ASSERT_TRUE(backends_[static_cast<size_t>(rank)]->copy_from_host(stream(rank), values.data(), input).ok());
    const base::Status status = comm(rank).all_gather_last_dim(stream(rank), input, staging, output);
    ASSERT_TRUE(status.ok()) << status.message();
    std::memcpy(results[static_cast<size_t>(rank)].data(), output.host_bytes(), output.numel() * sizeof(float));
  });
  for (int64_t row = 0; row < kRows; ++row) {
    for (int peer = 0; peer < 2; ++peer) {
      for (int64_t col = 0; col < kCols; ++col) {
        EXPECT_EQ(results[0][static_cast<size_t>(row * 2 * kCols + peer * kCols + col)],
                  value_of(peer, row * kCols + col));
      }
    }
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST_F(ThreadWorldTest, ManyCollectivesInARowStayInStep) {
  make_world(3);
  std::vector<float> finals(3);
  on_every_rank([&](int rank) {
    const Tensor t = tensor(rank, DType::kF32, Shape({1}));
    for (int round = 0; round < 200; ++round) {
      const float mine = static_cast<float>(rank + round);
      std::memcpy(t.host_bytes(), &mine, sizeof(float));
      ASSERT_TRUE(comm(rank).all_reduce_sum(stream(rank), t).ok());
      float sum = 0.0f;
      std::memcpy(&sum, t.host_bytes(), sizeof(float));
      ASSERT_EQ(sum, static_cast<float>(3 * round + 3)) << round;
      if (round % 50 == 0) {
        ASSERT_TRUE(comm(rank).barrier(stream(rank)).ok());
      }
    }
    std::memcpy(&finals[static_cast<size_t>(rank)], t.host_bytes(), sizeof(float));
  });
  EXPECT_EQ(finals[0], finals[2]);
}

TEST_F(ThreadWorldTest, RunsTheSharedChecks) {
  make_world(2);
  // Checks fail before any rendezvous, so one rank alone gets the error back.
  const base::Status strided =
      comm(0).all_reduce_sum(stream(0), tensor(0, DType::kF32, Shape({4, 8})).slice_columns(0, 4));
  EXPECT_EQ(strided.code(), base::StatusCode::kInvalidArgument);
  const base::Status ints = comm(0).all_reduce_sum(stream(0), tensor(0, DType::kI32, Shape({4})));
  EXPECT_EQ(ints.code(), base::StatusCode::kInvalidArgument);
  const base::Status wrong_output = comm(1).all_gather_last_dim(stream(1), tensor(1, DType::kF32, Shape({1, 4})), {},
                                                                tensor(1, DType::kF32, Shape({1, 4}), 256));
  EXPECT_EQ(wrong_output.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_output.message().find("with 2 ranks"), std::string::npos) << wrong_output.message();
}

TEST_F(ThreadWorldTest, AbortReleasesARankBlockedInACollective) {
  make_world(2);
  base::Status blocked;
  std::thread rank0([&] { blocked = comm(0).all_reduce_sum(stream(0), tensor(0, DType::kF32, Shape({4}))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  comm(1).abort();  // rank 1 failed elsewhere and never joins
  rank0.join();
  EXPECT_EQ(blocked.code(), base::StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.message().find("aborted"), std::string::npos) << blocked.message();
  EXPECT_FALSE(comm(0).health().ok());
  EXPECT_EQ(comm(1).barrier(stream(1)).code(), base::StatusCode::kFailedPrecondition);
  comm(0).abort();  // twice is fine
}

}  // namespace
}  // namespace fovea::backend
