// io::TensorParallelLayout on the published-checkpoint configs of tests/data/plan: module placement, the ranges each
// rank holds of dense and quantized tensors, the sizes refused, and the planner's per-GPU bytes against the sum of
// the shards (one rule for both).
#include "io/tensor_parallel_layout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plan/model_layout.h"
#include "plan/weight_budget.h"
#include "plan/weight_format_rules.h"

namespace fovea::io {
namespace {

ModelConfig load(const std::string& name) {
  base::Result<ModelConfig> config = read_model_config(std::string(FOVEA_SOURCE_DIR) + "/tests/data/plan/" + name);
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? std::move(config).value() : ModelConfig{};
}

TensorParallelLayout make_layout(const ModelConfig& config, int tp, bool shard_vision = true) {
  base::Result<TensorParallelLayout> layout = TensorParallelLayout::create(config, tp, shard_vision);
  EXPECT_TRUE(layout.ok()) << layout.status().message();
  return std::move(layout).value();
}

TpShard shard_of(const TensorParallelLayout& layout, const std::string& name, std::vector<int64_t> shape, int rank) {
  base::Result<TpShard> shard = layout.shard(name, shape, rank);
  EXPECT_TRUE(shard.ok()) << name << ": " << shard.status().message();
  return shard.ok() ? std::move(shard).value() : TpShard{};
}

int64_t shard_numel(const TpShard& shard) {
  int64_t numel = 1;
  for (int64_t extent : shard.shape) numel *= extent;
  return numel;
}

constexpr const char* kLayer = "model.language_model.layers.7.";

TEST(TpSplitOfModule, FollowsVllmLayerClasses) {
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.self_attn.q_proj"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.self_attn.k_proj"), TpSplit::kKvHeads);
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.self_attn.v_proj"), TpSplit::kKvHeads);
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.self_attn.o_proj"), TpSplit::kRow);
  EXPECT_EQ(tp_split_of_module("model.layers.3.mlp.gate_proj"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.layers.3.mlp.up_proj"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.layers.3.mlp.down_proj"), TpSplit::kRow);
  EXPECT_EQ(tp_split_of_module("model.language_model.embed_tokens"), TpSplit::kVocab);
  EXPECT_EQ(tp_split_of_module("model.embed_tokens"), TpSplit::kVocab);
  EXPECT_EQ(tp_split_of_module("lm_head"), TpSplit::kVocab);
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.input_layernorm"), TpSplit::kReplicated);
  EXPECT_EQ(tp_split_of_module("model.language_model.layers.0.self_attn.q_norm"), TpSplit::kReplicated);
  EXPECT_EQ(tp_split_of_module("model.language_model.norm"), TpSplit::kReplicated);
  EXPECT_EQ(tp_split_of_module("model.visual.blocks.3.attn.qkv"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.visual.blocks.3.attn.proj"), TpSplit::kRow);
  EXPECT_EQ(tp_split_of_module("model.visual.blocks.3.mlp.linear_fc1"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.visual.blocks.3.mlp.linear_fc2"), TpSplit::kRow);
  EXPECT_EQ(tp_split_of_module("model.visual.merger.linear_fc1"), TpSplit::kColumn);
  EXPECT_EQ(tp_split_of_module("model.visual.deepstack_merger_list.2.linear_fc2"), TpSplit::kRow);
  EXPECT_EQ(tp_split_of_module("model.visual.patch_embed.proj"), TpSplit::kReplicated);
  EXPECT_EQ(tp_split_of_module("model.visual.pos_embed"), TpSplit::kReplicated);
  EXPECT_EQ(tp_split_of_module("model.visual.blocks.3.norm1"), TpSplit::kReplicated);
}

TEST(TensorParallelLayout, Qwen3Vl32bHeadsAndWidthsPerRank) {
  const ModelConfig config = load("qwen3-vl-32b-instruct");
  const TensorParallelLayout tp2 = make_layout(config, 2);
  EXPECT_EQ(tp2.num_attention_heads_per_rank(), 32);
  EXPECT_EQ(tp2.num_kv_heads_per_rank(), 4);
  EXPECT_EQ(tp2.num_kv_head_replicas(), 1);
  EXPECT_EQ(tp2.intermediate_size_per_rank(), 12800);
  EXPECT_EQ(tp2.vocab_rows_per_rank(), 75968);
  EXPECT_EQ(tp2.vocab_range(1).begin, 75968);
  EXPECT_EQ(tp2.vocab_range(1).count, 75968);
  const TensorParallelLayout tp16 = make_layout(config, 16);
  EXPECT_EQ(tp16.num_kv_heads_per_rank(), 1);
  EXPECT_EQ(tp16.num_kv_head_replicas(), 2);
}

TEST(TensorParallelLayout, RefusesSizesThatDoNotDivideTheModel) {
  const ModelConfig config = load("qwen3-vl-32b-instruct");
  for (int tp : {0, 3, 5, 6, 7}) {
    base::Result<TensorParallelLayout> layout = TensorParallelLayout::create(config, tp);
    ASSERT_FALSE(layout.ok()) << tp;
    EXPECT_EQ(layout.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(layout.status().message().find("--tensor-parallel-size"), std::string::npos) << layout.status().message();
  }
  base::Result<TensorParallelLayout> tp3 = TensorParallelLayout::create(config, 3);
  EXPECT_NE(tp3.status().message().find("num_attention_heads (64)"), std::string::npos) << tp3.status().message();
  ModelConfig odd_vision = config;
  odd_vision.vision_config->num_heads = 15;
  EXPECT_FALSE(TensorParallelLayout::create(odd_vision, 2, /*shard_vision_weights=*/true).ok());
  EXPECT_TRUE(TensorParallelLayout::create(odd_vision, 2, /*shard_vision_weights=*/false).ok());
}

TEST(TensorParallelLayout, DenseColumnRowAndBias) {
  const TensorParallelLayout layout = make_layout(load("qwen3-vl-32b-instruct"), 2);
  const TpShard q = shard_of(layout, std::string(kLayer) + "self_attn.q_proj.weight", {8192, 5120}, 1);
  EXPECT_EQ(q.axis, 0);
  ASSERT_EQ(q.ranges.size(), 1u);
  EXPECT_EQ(q.ranges[0].begin, 4096);
  EXPECT_EQ(q.ranges[0].count, 4096);
  EXPECT_EQ(q.shape, (std::vector<int64_t>{4096, 5120}));
  const TpShard down = shard_of(layout, std::string(kLayer) + "mlp.down_proj.weight", {5120, 25600}, 1);
  EXPECT_EQ(down.axis, 1);
  EXPECT_EQ(down.ranges[0].begin, 12800);
  EXPECT_EQ(down.shape, (std::vector<int64_t>{5120, 12800}));
  const TpShard norm = shard_of(layout, std::string(kLayer) + "input_layernorm.weight", {5120}, 1);
  EXPECT_EQ(norm.axis, -1);
  const TpShard proj_bias = shard_of(layout, "model.visual.blocks.0.attn.proj.bias", {1152}, 1);
  EXPECT_EQ(proj_bias.axis, -1);
  EXPECT_TRUE(proj_bias.rank0_only);
  const TpShard fc1_bias = shard_of(layout, "model.visual.blocks.0.mlp.linear_fc1.bias", {4304}, 1);
  EXPECT_EQ(fc1_bias.axis, 0);
  EXPECT_EQ(fc1_bias.ranges[0].begin, 2152);
  EXPECT_FALSE(fc1_bias.rank0_only);
}

TEST(TensorParallelLayout, VisionQkvSplitsEachOfQKV) {
  const TensorParallelLayout layout = make_layout(load("qwen3-vl-32b-instruct"), 2);
  const TpShard qkv = shard_of(layout, "model.visual.blocks.5.attn.qkv.weight", {3456, 1152}, 1);
  EXPECT_EQ(qkv.axis, 0);
  ASSERT_EQ(qkv.ranges.size(), 3u);
  EXPECT_EQ(qkv.ranges[0].begin, 576);
  EXPECT_EQ(qkv.ranges[1].begin, 1152 + 576);
  EXPECT_EQ(qkv.ranges[2].begin, 2304 + 576);
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{1728, 1152}));
  const TensorParallelLayout data_mode = make_layout(load("qwen3-vl-32b-instruct"), 2, /*shard_vision=*/false);
  EXPECT_EQ(shard_of(data_mode, "model.visual.blocks.5.attn.qkv.weight", {3456, 1152}, 1).axis, -1);
  EXPECT_EQ(data_mode.split_of_module("model.visual.blocks.5.attn.qkv"), TpSplit::kReplicated);
  EXPECT_EQ(data_mode.split_of_module(std::string(kLayer) + "mlp.up_proj"), TpSplit::kColumn);
}

TEST(TensorParallelLayout, KvHeadsSplitThenReplicated) {
  const ModelConfig config = load("qwen3-vl-32b-instruct");
  const std::string name = std::string(kLayer) + "self_attn.k_proj.weight";
  const TpShard tp2 = shard_of(make_layout(config, 2), name, {1024, 5120}, 1);
  EXPECT_EQ(tp2.ranges[0].begin, 512);
  EXPECT_EQ(tp2.ranges[0].count, 512);
  const TensorParallelLayout tp16 = make_layout(config, 16);
  // 8 KV heads on 16 ranks: ranks 2k and 2k+1 both hold head k.
  for (int rank = 0; rank < 16; ++rank) {
    const TpShard shard = shard_of(tp16, name, {1024, 5120}, rank);
    EXPECT_EQ(shard.ranges[0].begin, (rank / 2) * 128) << rank;
    EXPECT_EQ(shard.ranges[0].count, 128);
  }
}

TEST(TensorParallelLayout, VocabPaddedToSixtyFourThenSplit) {
  ModelConfig config = load("qwen3-vl-32b-instruct");
  config.text_config.vocab_size = 151900;  // not a multiple of 64: padded to 151936
  const TensorParallelLayout layout = make_layout(config, 2);
  const TpShard last = shard_of(layout, "lm_head.weight", {151900, 5120}, 1);
  EXPECT_EQ(last.ranges[0].begin, 75968);
  EXPECT_EQ(last.ranges[0].count, 151900 - 75968);
  EXPECT_EQ(last.shape, (std::vector<int64_t>{75968, 5120}));  // 36 zero rows of padding
  const TpShard embed = shard_of(layout, "model.language_model.embed_tokens.weight", {151900, 5120}, 0);
  EXPECT_EQ(embed.ranges[0].count, 75968);
}

TEST(TensorParallelLayout, CompressedTensorsPackQuantized) {
  const TensorParallelLayout layout = make_layout(load("qwen3-vl-32b-thinking-w4a16"), 2);
  const std::string down = std::string(kLayer) + "mlp.down_proj.";
  // [N, K/8] int32, [N, K/128] scales, [N/8, K/128] packed zero points, row-parallel: split along K.
  const TpShard packed = shard_of(layout, down + "weight_packed", {5120, 3200}, 1);
  EXPECT_EQ(packed.axis, 1);
  EXPECT_EQ(packed.ranges[0].begin, 1600);
  EXPECT_EQ(packed.shape, (std::vector<int64_t>{5120, 1600}));
  const TpShard scale = shard_of(layout, down + "weight_scale", {5120, 200}, 1);
  EXPECT_EQ(scale.axis, 1);
  EXPECT_EQ(scale.ranges[0].begin, 100);
  const TpShard zero = shard_of(layout, down + "weight_zero_point", {640, 200}, 1);
  EXPECT_EQ(zero.axis, 1);
  EXPECT_EQ(zero.shape, (std::vector<int64_t>{640, 100}));
  EXPECT_EQ(shard_of(layout, down + "weight_shape", {2}, 1).axis, -1);
  // Column-parallel: zero points are packed along N, so the split lands on words of 8 rows.
  const std::string gate = std::string(kLayer) + "mlp.gate_proj.";
  const TpShard gate_zero = shard_of(layout, gate + "weight_zero_point", {3200, 40}, 1);
  EXPECT_EQ(gate_zero.axis, 0);
  EXPECT_EQ(gate_zero.ranges[0].begin, 1600);
  EXPECT_EQ(shard_of(layout, gate + "weight_packed", {25600, 640}, 1).ranges[0].begin, 12800);
}

TEST(TensorParallelLayout, GroupThatStraddlesARowShardIsRefused) {
  ModelConfig config = load("qwen3-vl-32b-thinking-w4a16");
  config.quantization_config->group_size = 256;
  const TensorParallelLayout layout = make_layout(config, 8);  // 25600 / 8 = 3200 inputs, not a multiple of 256
  base::Result<TpShard> scale =
      layout.shard(std::string(kLayer) + "mlp.down_proj.weight_scale", std::vector<int64_t>{5120, 100}, 1);
  ASSERT_FALSE(scale.ok());
  EXPECT_EQ(scale.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(scale.status().message().find("quantization group"), std::string::npos) << scale.status().message();
}

TEST(TensorParallelLayout, ActOrderKeepsScalesWholeOnRowShards) {
  ModelConfig config = load("qwen3-vl-32b-thinking-w4a16");
  config.quantization_config->actorder = "group";
  const TensorParallelLayout layout = make_layout(config, 2);
  const std::string down = std::string(kLayer) + "mlp.down_proj.";
  EXPECT_EQ(shard_of(layout, down + "weight_scale", {5120, 200}, 1).axis, -1);
  const TpShard g_idx = shard_of(layout, down + "weight_g_idx", {25600}, 1);
  EXPECT_EQ(g_idx.axis, 0);
  EXPECT_EQ(g_idx.ranges[0].begin, 12800);
}

TEST(TensorParallelLayout, AutoAwqPacksAlongOutputs) {
  const TensorParallelLayout layout = make_layout(load("qwen3-32b-awq"), 2);
  const std::string q = "model.layers.0.self_attn.q_proj.";
  const TpShard qweight = shard_of(layout, q + "qweight", {5120, 1024}, 1);  // [K, N/8]
  EXPECT_EQ(qweight.axis, 1);
  EXPECT_EQ(qweight.ranges[0].begin, 512);
  const TpShard scales = shard_of(layout, q + "scales", {40, 8192}, 1);  // [K/128, N]
  EXPECT_EQ(scales.axis, 1);
  EXPECT_EQ(scales.ranges[0].begin, 4096);
  const std::string down = "model.layers.0.mlp.down_proj.";
  const TpShard down_qweight = shard_of(layout, down + "qweight", {25600, 640}, 1);
  EXPECT_EQ(down_qweight.axis, 0);
  EXPECT_EQ(down_qweight.ranges[0].begin, 12800);
  const TpShard down_zeros = shard_of(layout, down + "qzeros", {200, 640}, 1);
  EXPECT_EQ(down_zeros.axis, 0);
  EXPECT_EQ(down_zeros.ranges[0].begin, 100);
  // 8 KV heads over 64 ranks is refused by the heads rule before any packing question arises.
  EXPECT_FALSE(TensorParallelLayout::create(load("qwen3-32b-awq"), 128).ok());
}

TEST(TensorParallelLayout, GptqPacksAlongInputs) {
  ModelConfig config = load("qwen3-32b-awq");
  config.quantization_config->method = QuantMethod::kGptq;
  const TensorParallelLayout layout = make_layout(config, 2);
  const std::string down = "model.layers.0.mlp.down_proj.";
  const TpShard qweight = shard_of(layout, down + "qweight", {3200, 5120}, 1);  // [K/8, N]
  EXPECT_EQ(qweight.axis, 0);
  EXPECT_EQ(qweight.ranges[0].begin, 1600);
  const TpShard g_idx = shard_of(layout, down + "g_idx", {25600}, 1);
  EXPECT_EQ(g_idx.ranges[0].begin, 12800);
  const std::string up = "model.layers.0.mlp.up_proj.";
  const TpShard up_qweight = shard_of(layout, up + "qweight", {640, 25600}, 1);
  EXPECT_EQ(up_qweight.axis, 1);
  EXPECT_EQ(shard_of(layout, up + "g_idx", {5120}, 1).axis, -1);
}

TEST(TensorParallelLayout, Fp8BlockScales) {
  const ModelConfig config = load("qwen3-vl-32b-instruct-fp8");
  const TensorParallelLayout tp2 = make_layout(config, 2);
  const std::string gate = std::string(kLayer) + "mlp.gate_proj.weight_scale_inv";
  const TpShard scale = shard_of(tp2, gate, {200, 40}, 1);
  EXPECT_EQ(scale.axis, 0);
  EXPECT_EQ(scale.ranges[0].begin, 100);
  // 25600 / 16 = 1600 outputs per rank: 12.5 blocks of 128.
  const TensorParallelLayout tp16 = make_layout(config, 16);
  base::Result<TpShard> refused = tp16.shard(gate, std::vector<int64_t>{200, 40}, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("FP8 block"), std::string::npos) << refused.status().message();
  // A config with a nonsensical block size must not divide by zero: the 128 x 128 default stays.
  ModelConfig zero_block = config;
  zero_block.quantization_config->weight_block_size = {0, 0};
  EXPECT_TRUE(make_layout(zero_block, 2).shard(gate, std::vector<int64_t>{200, 40}, 1).ok());
}

TEST(TensorParallelLayout, ShapeThatDisagreesWithConfigIsDataLoss) {
  const TensorParallelLayout layout = make_layout(load("qwen3-vl-32b-instruct"), 2);
  base::Result<TpShard> shard =
      layout.shard(std::string(kLayer) + "self_attn.q_proj.weight", std::vector<int64_t>{8000, 5120}, 0);
  ASSERT_FALSE(shard.ok());
  EXPECT_EQ(shard.status().code(), base::StatusCode::kDataLoss);
  EXPECT_FALSE(layout.shard(std::string(kLayer) + "self_attn.q_proj.weight", std::vector<int64_t>{8192, 5120}, 2).ok());
  EXPECT_FALSE(layout.shard(std::string(kLayer) + "self_attn.q_proj.mystery", std::vector<int64_t>{8192}, 0).ok());
}

// Every rank's shards of every module tile the tensor: each index is held once (KV heads: once per replica).
TEST(TensorParallelLayout, ShardsOfEveryModuleTileTheTensor) {
  for (const char* name : {"qwen3-vl-32b-instruct", "qwen3-vl-8b-instruct"}) {
    const ModelConfig config = load(name);
    for (int tp : {2, 4, 8, 16}) {
      base::Result<TensorParallelLayout> layout = TensorParallelLayout::create(config, tp);
      if (!layout.ok()) continue;  // a size this model refuses (RefusesSizesThatDoNotDivideTheModel)
      for (const plan::ModuleSpec& module : plan::model_modules(config)) {
        // Every decoder layer and vision block has the same shapes: the first of each stands for all.
        const bool later_copy =
            (module.name.find("layers.") != std::string::npos && module.name.find("layers.0.") == std::string::npos) ||
            (module.name.find("blocks.") != std::string::npos && module.name.find("blocks.0.") == std::string::npos);
        if (module.style == TpSplit::kReplicated || later_copy) continue;
        const std::vector<int64_t> shape{module.out_features, module.in_features};
        int axis = -1;
        std::vector<int> held;
        for (int rank = 0; rank < tp; ++rank) {
          const TpShard shard = shard_of(*layout, module.name + ".weight", shape, rank);
          axis = shard.axis;
          ASSERT_GE(axis, 0) << module.name;
          held.resize(static_cast<size_t>(shape[static_cast<size_t>(axis)]));
          for (const IndexRange& range : shard.ranges) {
            for (int64_t idx = range.begin; idx < range.begin + range.count; ++idx) ++held[static_cast<size_t>(idx)];
          }
        }
        const int copies = module.style == TpSplit::kKvHeads ? static_cast<int>(layout->num_kv_head_replicas()) : 1;
        for (size_t idx = 0; idx < held.size(); ++idx) {
          ASSERT_EQ(held[idx], copies) << module.name << " tp " << tp << " index " << idx;
        }
      }
    }
  }
}

// The planner's per-GPU weight bytes (plan::weight_budget) equal the sum of the shards this rule gives, for the bf16
// checkpoints at tp 2 and 4 in both vision modes.
TEST(TensorParallelLayout, PlannerPerGpuBytesMatchTheShards) {
  for (const char* name : {"qwen3-vl-32b-instruct", "qwen3-vl-8b-instruct"}) {
    const ModelConfig config = load(name);
    base::Result<plan::WeightFormatRules> rules = plan::WeightFormatRules::from_config(config, std::nullopt);
    ASSERT_TRUE(rules.ok()) << rules.status().message();
    for (int tp : {2, 4}) {
      for (bool shard_vision : {true, false}) {
        const TensorParallelLayout layout = make_layout(config, tp, shard_vision);
        uint64_t shard_bytes = 0;
        for (const plan::ModuleSpec& module : plan::model_modules(config)) {
          const std::vector<int64_t> shape = module.in_features == 1
                                                 ? std::vector<int64_t>{module.out_features}
                                                 : std::vector<int64_t>{module.out_features, module.in_features};
          shard_bytes += 2 * static_cast<uint64_t>(shard_numel(shard_of(layout, module.name + ".weight", shape, 0)));
          if (module.bias_features > 0) {
            shard_bytes += 2 * static_cast<uint64_t>(
                                   shard_numel(shard_of(layout, module.name + ".bias", {module.bias_features}, 0)));
          }
        }
        base::Result<plan::WeightBudget> budget =
            plan::weight_budget(plan::model_modules(config), *rules, tp,
                                shard_vision ? plan::EncoderTpMode::kWeights : plan::EncoderTpMode::kData);
        ASSERT_TRUE(budget.ok()) << budget.status().message();
        EXPECT_EQ(budget->per_gpu.total(), shard_bytes) << name << " tp " << tp << " vision sharded " << shard_vision;
      }
    }
  }
}

}  // namespace
}  // namespace fovea::io
