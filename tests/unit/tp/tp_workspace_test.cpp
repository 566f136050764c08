// The fp32 row-parallel partial buffers of tensor parallelism with a bf16/f16 activation, on the published Qwen3-VL
// configs of tests/data/plan: the decoder and vision workspaces carve them only above tp 1 (the tower only in
// --mm-encoder-tp-mode weights) and never with f32, and the planner counts exactly the bytes they carve
// (plan::decoder_workspace / vision_workspace against model::TextWorkspace / VisionWorkspace).
#include <gtest/gtest.h>

#include <string>

#include "io/model_config.h"
#include "io/tensor_parallel_layout.h"
#include "io/vision_step_budget.h"
#include "model/arena_carver.h"
#include "model/text_decoder.h"
#include "model/text_workspace.h"
#include "model/vision_workspace.h"
#include "plan/activation_workspace.h"

namespace fovea::model {
namespace {

using tensor::DType;

constexpr int64_t kBatchedTokens = 8192;
constexpr DType kActs[] = {DType::kF32, DType::kBF16, DType::kF16};

io::ModelConfig load(const std::string& name) {
  base::Result<io::ModelConfig> config =
      io::read_model_config(std::string(FOVEA_SOURCE_DIR) + "/tests/data/plan/" + name);
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? std::move(config).value() : io::ModelConfig{};
}

// Bytes of a carved region; 0 for a region never carved (a default Tensor has no dims).
uint64_t region_bytes(const backend::Tensor& region) {
  if (region.shape.rank() == 0) return 0;
  return static_cast<uint64_t>(region.numel() * region.element_size_bytes());
}

TEST(TpWorkspaceTest, DecoderPartialIsCarvedAndPlannedAboveTpOneWithoutF32) {
  for (const char* name : {"qwen3-vl-32b-instruct", "qwen3-vl-8b-instruct"}) {
    const io::ModelConfig config = load(name);
    const TextLimits limits{kBatchedTokens, 256, 64};
    for (int tp : {1, 2, 4}) {
      base::Result<io::TensorParallelLayout> layout = io::TensorParallelLayout::create(config, tp, true);
      ASSERT_TRUE(layout.ok()) << layout.status().message();
      const io::TextConfig rank = rank_text_config(config.text_config, *layout);
      const LogitsSplit split = tp > 1 ? LogitsSplit{tp, layout->vocab_rows_per_rank()} : LogitsSplit{};
      for (DType act : kActs) {
        ArenaCarver carver;
        const TextWorkspace ws = TextWorkspace::carve(carver, rank, act, limits, split);
        const bool has_partial = tp > 1 && act != DType::kF32;
        const plan::DecoderWorkspace planned = plan::decoder_workspace(
            config, static_cast<int>(tensor::dtype_size_bytes(act)), tp, kBatchedTokens, limits.max_num_seqs);
        EXPECT_EQ(planned.fp32_partial_per_token * kBatchedTokens, region_bytes(ws.partial))
            << name << " tp " << tp << " " << tensor::dtype_name(act);
        if (!has_partial) continue;
        EXPECT_EQ(ws.partial.dtype, DType::kF32);
        EXPECT_EQ(ws.partial.shape, (tensor::Shape{kBatchedTokens, config.text_config.hidden_size}));
      }
    }
  }
}

TEST(TpWorkspaceTest, VisionPartialIsCarvedAndPlannedInWeightsModeOnly) {
  for (const char* name : {"qwen3-vl-32b-instruct", "qwen3-vl-8b-instruct"}) {
    const io::VisionConfig vision = *load(name).vision_config;
    const int64_t num_patches = io::vision_step_budget(vision, kBatchedTokens).max_patches_per_step;
    const plan::VisionWorkload workload = plan::vision_workload(vision, 16777216, 3, 131072);
    const int64_t merge_area = vision.spatial_merge_size * vision.spatial_merge_size;
    for (int tp : {1, 2, 4}) {
      for (plan::EncoderTpMode mode : {plan::EncoderTpMode::kWeights, plan::EncoderTpMode::kData}) {
        const int64_t num_shards = mode == plan::EncoderTpMode::kWeights ? tp : 1;
        for (DType act : kActs) {
          ArenaCarver carver;
          const VisionWorkspace ws = VisionWorkspace::carve(carver, vision, act, num_patches, num_shards);
          const plan::VisionWorkspace planned = plan::vision_workspace(
              vision, static_cast<int>(tensor::dtype_size_bytes(act)), tp, mode, workload, kBatchedTokens);
          EXPECT_EQ(planned.fp32_partial, region_bytes(ws.partial))
              << name << " tp " << tp << " weights " << (mode == plan::EncoderTpMode::kWeights) << " "
              << tensor::dtype_name(act);
          if (num_shards == 1 || act == DType::kF32) continue;
          // Room for a block's [P, Hv] partial and a merger's [P / m^2, out_hidden] one (the larger for 32B, not
          // for 8B).
          EXPECT_EQ(ws.partial.dtype, DType::kF32);
          EXPECT_GE(ws.partial.numel(), num_patches * vision.hidden_size);
          EXPECT_GE(ws.partial.numel(), num_patches / merge_area * vision.out_hidden_size);
          EXPECT_EQ(ws.partial.numel(), vision_partial_elements(vision, num_patches));
        }
      }
    }
  }
}

}  // namespace
}  // namespace fovea::model
