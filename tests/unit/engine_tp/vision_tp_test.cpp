// The vision encoder under tensor parallelism on the tiny Qwen3-VL checkpoint, two CPU ranks: weights mode (sharded
// heads and widths, all-reduced) matches TP=1 within f32 rounding; data mode (whole weights, images split over the
// ranks, results all-reduced over zeros) matches it exactly; every rank ends with every image's outputs. And the
// data-mode split rule. Must not contain engine code.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/vision_encoder.h"
#include "tp_test_util.h"

namespace fovea::engine {
namespace {

using model::VisionGrid;

TEST(AssignImagesToRanksTest, BalancesPatchesLargestFirst) {
  // 64 -> rank 0; 32 -> rank 1; the 16s go to the lighter rank 1 (32, then 48), ties to the lower rank.
  const std::vector<int64_t> patches{16, 64, 16, 32};
  EXPECT_EQ(model::assign_images_to_ranks(patches, 2), (std::vector<int>{1, 0, 1, 1}));
  const std::vector<int64_t> equal{8, 8, 8};
  EXPECT_EQ(model::assign_images_to_ranks(equal, 2), (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(model::assign_images_to_ranks(equal, 1), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(model::assign_images_to_ranks(patches, 8), (std::vector<int>{2, 0, 3, 1}));
  EXPECT_TRUE(model::assign_images_to_ranks({}, 2).empty());
}

struct Images {
  std::vector<std::vector<float>> pixels;
  std::vector<model::VisionImage> inputs;
};

Images make_images(const io::VisionConfig& config) {
  const int64_t patch_dim = config.in_channels * config.temporal_patch_size * config.patch_size * config.patch_size;
  const std::vector<VisionGrid> grids{{1, 4, 4}, {1, 8, 4}, {2, 4, 6}};
  Images images;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const VisionGrid& grid : grids) {
    std::vector<float> values(static_cast<size_t>(grid.num_patches() * patch_dim));
    for (float& value : values) value = uniform(rng);
    images.pixels.push_back(std::move(values));
  }
  for (size_t idx = 0; idx < grids.size(); ++idx) images.inputs.push_back({images.pixels[idx], grids[idx]});
  return images;
}

// Every rank's outputs of encode_each over `images`, on the host: [rank][image][0: embeds, k + 1: DeepStack k].
using HostOutputs = std::vector<std::vector<std::vector<std::vector<float>>>>;

HostOutputs encode_on_all_ranks(testing::Ranks& ranks, const Images& images) {
  const auto num_ranks = static_cast<int>(ranks.models.size());
  HostOutputs out(static_cast<size_t>(num_ranks));
  std::vector<std::vector<std::unique_ptr<backend::Buffer>>> buffers(static_cast<size_t>(num_ranks));
  const base::Status status = ranks.threads->run([&](int rank_idx) -> base::Status {
    const auto r = static_cast<size_t>(rank_idx);
    backend::Backend& backend = *ranks.backends[r];
    model::VisionEncoder& encoder = *ranks.models[r]->vision_encoder();
    std::vector<model::VisionOutput> outputs;
    for (const model::VisionImage& image : images.inputs) {
      model::VisionOutput output;
      const tensor::Shape shape({encoder.num_tokens(image.grid), encoder.out_hidden_size()});
      for (int64_t k = 0; k <= encoder.num_deepstack(); ++k) {
        FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer,
                               backend.allocate(static_cast<size_t>(shape.numel() * 4)));
        const backend::Tensor tensor = backend::Tensor::on(*buffer, tensor::DType::kF32, shape);
        (k == 0 ? output.embeds : output.deepstack.emplace_back()) = tensor;
        buffers[r].push_back(std::move(buffer));
      }
      outputs.push_back(output);
    }
    FOVEA_RETURN_IF_ERROR(encoder.encode_each(images.inputs, outputs));
    for (const model::VisionOutput& output : outputs) {
      std::vector<std::vector<float>> host;
      std::vector<backend::Tensor> tensors{output.embeds};
      tensors.insert(tensors.end(), output.deepstack.begin(), output.deepstack.end());
      for (const backend::Tensor& tensor : tensors) {
        std::vector<float> values(static_cast<size_t>(tensor.numel()));
        FOVEA_RETURN_IF_ERROR(backend.copy_to_host(backend.default_stream(), tensor, values.data()));
        FOVEA_RETURN_IF_ERROR(backend.synchronize(backend.default_stream()));
        host.push_back(std::move(values));
      }
      out[r].push_back(std::move(host));
    }
    return base::Status();
  });
  EXPECT_TRUE(status.ok()) << status.message();
  return out;
}

class VisionTpTest : public ::testing::TestWithParam<bool> {};

TEST_P(VisionTpTest, TwoRanksMatchOneRank) {
  const bool shard_vision = GetParam();
  testing::Ranks one;
  ASSERT_TRUE(testing::load_ranks(1, true, one).ok());
  const Images images = make_images(*one.models[0]->config().vision_config);
  const HostOutputs reference = encode_on_all_ranks(one, images);
  testing::Ranks two;
  const base::Status loaded = testing::load_ranks(2, shard_vision, two);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const HostOutputs got = encode_on_all_ranks(two, images);
  ASSERT_EQ(reference.size(), size_t{1});
  ASSERT_EQ(got.size(), size_t{2});
  for (size_t rank_idx = 0; rank_idx < got.size(); ++rank_idx) {
    ASSERT_EQ(got[rank_idx].size(), images.inputs.size());
    for (size_t image_idx = 0; image_idx < images.inputs.size(); ++image_idx) {
      const auto& want_tensors = reference[0][image_idx];
      const auto& got_tensors = got[rank_idx][image_idx];
      ASSERT_EQ(got_tensors.size(), want_tensors.size());
      for (size_t tensor_idx = 0; tensor_idx < want_tensors.size(); ++tensor_idx) {
        const std::vector<float>& want = want_tensors[tensor_idx];
        const std::vector<float>& have = got_tensors[tensor_idx];
        ASSERT_EQ(have.size(), want.size());
        double max_error = 0;
        double max_value = 0;
        for (size_t idx = 0; idx < want.size(); ++idx) {
          max_error = std::max(max_error, static_cast<double>(std::fabs(have[idx] - want[idx])));
          max_value = std::max(max_value, static_cast<double>(std::fabs(want[idx])));
        }
        ASSERT_GT(max_value, 0.0);
        if (shard_vision) {
          // Partial sums of the row-parallel Linears add up in another order: f32 rounding only.
          EXPECT_LT(max_error, 1e-4 * max_value) << "rank " << rank_idx << " image " << image_idx;
        } else {
          // The image is encoded by one rank exactly as TP=1 does, and x + 0 is exact.
          EXPECT_EQ(max_error, 0.0) << "rank " << rank_idx << " image " << image_idx;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, VisionTpTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "weights" : "data"; });

TEST(VisionTpCreateTest, ShardedEncoderCarvesOneRanksWidths) {
  // Weights mode: qkv, attention and MLP buffers hold one rank's columns, so the workspace shrinks.
  testing::Ranks two;
  ASSERT_TRUE(testing::load_ranks(2, true, two).ok());
  testing::Ranks one;
  ASSERT_TRUE(testing::load_ranks(1, true, one).ok());
  ASSERT_NE(two.models[0]->vision_encoder(), nullptr);
  EXPECT_LT(two.models[0]->vision_encoder()->workspace_bytes(), one.models[0]->vision_encoder()->workspace_bytes());
}

}  // namespace
}  // namespace fovea::engine
