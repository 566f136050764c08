// VisionEncoder keeps the position rows, rotary coordinates and segments of the last call's image sizes on the
// device: calls that repeat, change and return to sizes must give the same bits as a fresh encoder computing them
// anew, in every activation dtype. Must not contain timing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

std::vector<std::byte> encode_host(backend::Backend& backend, VisionEncoder& encoder, std::span<const VisionImage> images,
                                   tensor::DType act) {
  int64_t tokens = 0;
  for (const VisionImage& image : images) tokens += encoder.num_tokens(image.grid);
  const int64_t width = encoder.out_hidden_size();
  const int64_t bytes_each = tokens * width * static_cast<int64_t>(tensor::dtype_size_bytes(act));
  auto buffer = backend.allocate(static_cast<uint64_t>(bytes_each * (1 + encoder.num_deepstack())));
  EXPECT_TRUE(buffer.ok());
  std::vector<backend::Tensor> outs;
  for (int64_t k = 0; k <= encoder.num_deepstack(); ++k)
    outs.push_back(backend::Tensor::on(**buffer, act, {tokens, width}, static_cast<uint64_t>(k * bytes_each)));
  const base::Status status = encoder.encode(images, outs[0], std::span(outs).subspan(1));
  EXPECT_TRUE(status.ok()) << status.to_string();
  std::vector<std::byte> host(static_cast<size_t>(bytes_each * (1 + encoder.num_deepstack())));
  for (size_t k = 0; k < outs.size(); ++k) {
    EXPECT_TRUE(backend.copy_to_host(backend.default_stream(), outs[k], host.data() + k * bytes_each).ok());
  }
  EXPECT_TRUE(backend.synchronize(backend.default_stream()).ok());
  return host;
}

class VisionEncoderCacheTest : public ::testing::TestWithParam<tensor::DType> {};

TEST_P(VisionEncoderCacheTest, KeptRowsMatchAFreshEncoder) {
  const tensor::DType act = GetParam();
  testing::TempDir dir;
  testing::write_model_folder(dir, "qwen3-vl-tiny", {});
  backend::cpu::CpuBackend backend;
  ModelOptions options;
  options.activation_dtype = act;
  options.load_format = LoadFormat::kDummy;
  options.dummy_seed = 3;
  options.text_limits = {64, 4, 8};
  options.max_vision_patches = 128;
  auto a_model = Model::load(dir.path(), backend, options);
  auto b_model = Model::load(dir.path(), backend, options);
  ASSERT_TRUE(a_model.ok() && b_model.ok());
  VisionEncoder& enc = *(*a_model)->vision_encoder();
  VisionEncoder& fresh = *(*b_model)->vision_encoder();
  std::vector<float> pa(16 * 1536), pb(32 * 1536);
  for (size_t i = 0; i < pa.size(); ++i) pa[i] = std::sin(0.01f * static_cast<float>(i));
  for (size_t i = 0; i < pb.size(); ++i) pb[i] = std::cos(0.013f * static_cast<float>(i));
  const VisionImage a{pa, {1, 4, 4}};
  const VisionImage b{pb, {1, 4, 8}};
  const VisionImage b2{pb, {2, 4, 4}};
  const auto a1 = encode_host(backend, enc, std::span(&a, 1), act);
  const auto a1again = encode_host(backend, enc, std::span(&a, 1), act);
  const auto b1 = encode_host(backend, enc, std::span(&b, 1), act);
  const auto a2 = encode_host(backend, enc, std::span(&a, 1), act);
  const auto b2r = encode_host(backend, enc, std::span(&b2, 1), act);
  const std::vector<VisionImage> ab = {a, b};
  const auto ab1 = encode_host(backend, enc, ab, act);
  const auto ab2 = encode_host(backend, enc, ab, act);
  EXPECT_EQ(a1, a1again);
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(ab1, ab2);
  EXPECT_EQ(b1, encode_host(backend, fresh, std::span(&b, 1), act));
  EXPECT_EQ(b2r, encode_host(backend, fresh, std::span(&b2, 1), act));
  EXPECT_EQ(ab1, encode_host(backend, fresh, ab, act));
  EXPECT_NE(b1, b2r);  // the two grids of 32 patches differ, so equal bytes above are not vacuous
}

INSTANTIATE_TEST_SUITE_P(Acts, VisionEncoderCacheTest,
                         ::testing::Values(tensor::DType::kF32, tensor::DType::kBF16, tensor::DType::kF16));

}  // namespace
}  // namespace fovea::model
