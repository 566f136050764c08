// The vocabulary-parallel embedding op (Ops::embedding_range) on the CPU's fast and reference op tables: ids of the
// rank's range read their row (converted to out's dtype), every other id gives zeros, and the ranges of all ranks
// sum to the whole table's embedding; bad ranges are refused.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "tensor/float_convert.h"

namespace fovea::backend {
namespace {

using tensor::DType;
using tensor::Shape;

class EmbeddingRangeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    base::Result<std::unique_ptr<Buffer>> buffer = backend_.allocate(1 << 16);
    ASSERT_TRUE(buffer.ok());
    buffer_ = std::move(buffer).value();
  }

  Tensor at(DType dtype, Shape shape, int64_t offset_bytes) {
    return Tensor::on(*buffer_, dtype, std::move(shape), offset_bytes);
  }

  cpu::CpuBackend backend_{cpu::CpuBackendOptions{.num_threads = 2, .reference_ops = GetParam()}};
  std::unique_ptr<Buffer> buffer_;
};

// Row r of the whole [10, 4] table holds r + c / 8 (exact in bf16).
float table_value(int64_t row, int64_t col) { return static_cast<float>(row) + static_cast<float>(col) / 8.0f; }

TEST_P(EmbeddingRangeTest, RanksSumToTheWholeEmbedding) {
  constexpr int64_t kVocab = 10;
  constexpr int64_t kWidth = 4;
  constexpr int64_t kRowsPerRank = 6;  // two ranks; rank 1 holds rows 6..9 and two zero padding rows
  const std::vector<int32_t> ids = {0, 9, 5, 6, 3, 7, 9};
  const Tensor ids_tensor = at(DType::kI32, Shape({7}), 0);
  ASSERT_TRUE(backend_.copy_from_host(backend_.default_stream(), ids.data(), ids_tensor).ok());
  std::vector<float> sum(ids.size() * kWidth, 0.0f);
  for (int64_t rank = 0; rank < 2; ++rank) {
    const int64_t begin = rank * kRowsPerRank;
    const int64_t count = std::min(kRowsPerRank, kVocab - begin);
    std::vector<uint16_t> table(kRowsPerRank * kWidth, 0);
    for (int64_t row = 0; row < count; ++row) {
      for (int64_t col = 0; col < kWidth; ++col) {
        table[static_cast<size_t>(row * kWidth + col)] = tensor::float_to_bf16(table_value(begin + row, col));
      }
    }
    const Tensor table_tensor = at(DType::kBF16, Shape({kRowsPerRank, kWidth}), 1024);
    const Tensor out = at(DType::kF32, Shape({7, kWidth}), 4096);
    ASSERT_TRUE(backend_.copy_from_host(backend_.default_stream(), table.data(), table_tensor).ok());
    const base::Status status =
        backend_.ops().embedding_range(backend_.default_stream(), table_tensor, ids_tensor, {begin, count}, out);
    ASSERT_TRUE(status.ok()) << status.message();
    std::vector<float> rows(ids.size() * kWidth);
    ASSERT_TRUE(backend_.copy_to_host(backend_.default_stream(), out, rows.data()).ok());
    for (size_t token = 0; token < ids.size(); ++token) {
      const bool held = ids[token] >= begin && ids[token] < begin + count;
      for (int64_t col = 0; col < kWidth; ++col) {
        const float value = rows[token * kWidth + static_cast<size_t>(col)];
        EXPECT_EQ(value, held ? table_value(ids[token], col) : 0.0f) << "rank " << rank << " token " << token;
        sum[token * kWidth + static_cast<size_t>(col)] += value;
      }
    }
  }
  for (size_t token = 0; token < ids.size(); ++token) {
    for (int64_t col = 0; col < kWidth; ++col) {
      EXPECT_EQ(sum[token * kWidth + static_cast<size_t>(col)], table_value(ids[token], col));
    }
  }
}

TEST_P(EmbeddingRangeTest, RefusesRangesBeyondTheTable) {
  const Tensor table = at(DType::kF32, Shape({4, 2}), 1024);
  const Tensor ids = at(DType::kI32, Shape({3}), 0);
  const Tensor out = at(DType::kF32, Shape({3, 2}), 4096);
  Stream& stream = backend_.default_stream();
  EXPECT_EQ(backend_.ops().embedding_range(stream, table, ids, {0, 5}, out).code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_.ops().embedding_range(stream, table, ids, {-1, 4}, out).code(),
            base::StatusCode::kInvalidArgument);
  const base::Status huge = backend_.ops().embedding_range(stream, table, ids, {int64_t{1} << 40, 4}, out);
  EXPECT_EQ(huge.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(huge.message().find("embedding_range"), std::string::npos) << huge.message();
}

INSTANTIATE_TEST_SUITE_P(OpTables, EmbeddingRangeTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("reference") : std::string("fast");
                         });

}  // namespace
}  // namespace fovea::backend
