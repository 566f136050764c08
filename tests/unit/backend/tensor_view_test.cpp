// backend::Tensor views: sizes, row/column slices, reshapes of strided views.
#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "backend/tensor.h"

namespace fovea::backend {
namespace {

using tensor::DType;

class TensorViewTest : public ::testing::Test {
 protected:
  cpu::CpuBackend backend_;
  std::unique_ptr<Buffer> buffer_ = std::move(backend_.allocate(4096)).value();
};

TEST_F(TensorViewTest, PackedSizes) {
  const Tensor t = Tensor::on(*buffer_, DType::kBF16, {3, 4, 5}, 64);
  EXPECT_EQ(t.numel(), 60);
  EXPECT_EQ(t.row_numel(), 20);
  EXPECT_EQ(t.stride_rows(), 20);
  EXPECT_TRUE(t.is_packed());
  EXPECT_EQ(t.span_bytes(), 120);
  EXPECT_EQ(t.host_bytes(), static_cast<std::byte*>(buffer_->data()) + 64);
}

TEST_F(TensorViewTest, ColumnSliceKeepsTheRowStride) {
  const Tensor fused = Tensor::on(*buffer_, DType::kF32, {6, 10});
  const Tensor up = fused.slice_columns(4, 6);
  EXPECT_EQ(up.shape, tensor::Shape({6, 6}));
  EXPECT_EQ(up.stride_rows(), 10);
  EXPECT_EQ(up.offset_bytes, 16);
  EXPECT_FALSE(up.is_packed());
  EXPECT_EQ(up.span_bytes(), (5 * 10 + 6) * 4);
}

TEST_F(TensorViewTest, RowSliceMovesTheOffset) {
  const Tensor t = Tensor::on(*buffer_, DType::kF16, {8, 3});
  const Tensor rows = t.slice_rows(2, 5);
  EXPECT_EQ(rows.offset_bytes, 2 * 3 * 2);
  EXPECT_EQ(rows.shape, tensor::Shape({5, 3}));
  EXPECT_TRUE(rows.is_packed());
}

TEST_F(TensorViewTest, ReshapeOfAStridedViewKeepsDimZero) {
  const Tensor qkv = Tensor::on(*buffer_, DType::kBF16, {4, 12 * 8});
  const Tensor k = qkv.slice_columns(8 * 8, 2 * 8);
  auto heads = k.reshaped({4, 2, 8});
  ASSERT_TRUE(heads.ok()) << heads.status().to_string();
  EXPECT_EQ(heads->stride_rows(), 96);
  EXPECT_FALSE(k.reshaped({8, 8}).ok()) << "a strided view cannot change dim 0";
  EXPECT_FALSE(k.reshaped({4, 3, 8}).ok()) << "the element count differs";
  auto flat = qkv.reshaped({384});
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->row_stride, 0);
}

}  // namespace
}  // namespace fovea::backend
