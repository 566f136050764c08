// Tensor-parallel sharding as vLLM does it: column/row-parallel Linears split by tp, norms replicated, vocab-parallel
// embedding and lm_head split, KV heads split or replicated, the vision tower sharded or replicated.
#include "plan/weight_budget.h"

#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace fovea::plan {
namespace {

using io::ModelComponent;
using testing::load_config;

WeightBudget budget_of(const io::ModelConfig& config, int64_t tp, EncoderTpMode mode = EncoderTpMode::kWeights) {
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  EXPECT_TRUE(rules.ok());
  base::Result<WeightBudget> budget = weight_budget(model_modules(config), *rules, tp, mode);
  EXPECT_TRUE(budget.ok()) << budget.status().message();
  return budget.ok() ? *budget : WeightBudget{};
}

TEST(WeightBudget, DecoderLinearsSplitAndNormsReplicate) {
  const io::ModelConfig config = load_config(testing::kBf16);
  const io::TextConfig& text = config.text_config;
  const uint64_t norms = static_cast<uint64_t>(text.num_hidden_layers) *
                         (2 * static_cast<uint64_t>(text.hidden_size) + 2 * static_cast<uint64_t>(text.head_dim)) * 2;
  const WeightBudget tp1 = budget_of(config, 1);
  for (int64_t tp : {2, 4, 8}) {
    const WeightBudget sharded = budget_of(config, tp);
    const uint64_t linears = tp1.checkpoint[ModelComponent::kDecoderLayers] - norms;
    EXPECT_EQ(sharded.per_gpu[ModelComponent::kDecoderLayers], linears / static_cast<uint64_t>(tp) + norms) << tp;
    EXPECT_EQ(sharded.per_gpu[ModelComponent::kFinalNorm], tp1.checkpoint[ModelComponent::kFinalNorm]);
    // Vocab-parallel: 151936 rows (a multiple of 64) split evenly.
    EXPECT_EQ(sharded.per_gpu[ModelComponent::kEmbeddings],
              static_cast<uint64_t>(text.vocab_size / tp) * static_cast<uint64_t>(text.hidden_size) * 2);
    EXPECT_EQ(sharded.per_gpu[ModelComponent::kLmHead], sharded.per_gpu[ModelComponent::kEmbeddings]);
    EXPECT_EQ(sharded.checkpoint.total(), tp1.checkpoint.total());
  }
}

TEST(WeightBudget, KvHeadsReplicateWhenTpExceedsThem) {
  io::ModelConfig config = load_config(testing::kAwq);  // 64 heads, 8 KV heads
  config.quantization_config.reset();
  config.dtype = "bfloat16";
  const io::TextConfig& text = config.text_config;
  const WeightBudget tp8 = budget_of(config, 8);
  const WeightBudget tp16 = budget_of(config, 16);
  // From tp 8 to 16 every split Linear halves, but k/v stay one head wide: the difference is exactly them.
  const uint64_t hidden = static_cast<uint64_t>(text.hidden_size);
  const uint64_t head = static_cast<uint64_t>(text.head_dim);
  const uint64_t layers = static_cast<uint64_t>(text.num_hidden_layers);
  const uint64_t norms = layers * (2 * hidden + 2 * head) * 2;
  const uint64_t kv_per_layer = 2 * head * hidden * 2;  // k and v, one head each, bf16
  const uint64_t split_at_8 = tp8.per_gpu[ModelComponent::kDecoderLayers] - norms - layers * kv_per_layer;
  EXPECT_EQ(tp16.per_gpu[ModelComponent::kDecoderLayers], split_at_8 / 2 + norms + layers * kv_per_layer);
}

TEST(WeightBudget, VisionTowerShardedOrReplicated) {
  const io::ModelConfig config = load_config(testing::kW4a16);
  const WeightBudget weights_mode = budget_of(config, 2, EncoderTpMode::kWeights);
  const WeightBudget data_mode = budget_of(config, 2, EncoderTpMode::kData);
  EXPECT_EQ(data_mode.per_gpu[ModelComponent::kVisionTower], data_mode.checkpoint[ModelComponent::kVisionTower]);
  EXPECT_LT(weights_mode.per_gpu[ModelComponent::kVisionTower],
            weights_mode.checkpoint[ModelComponent::kVisionTower] * 6 / 10);
  EXPECT_GT(weights_mode.per_gpu[ModelComponent::kVisionTower],
            weights_mode.checkpoint[ModelComponent::kVisionTower] / 2);  // norms, biases of row-parallel, embeddings
}

TEST(WeightBudget, QuantizedShardsSplitByTp) {
  const io::ModelConfig config = load_config(testing::kW4a16);
  const WeightBudget tp1 = budget_of(config, 1);
  const WeightBudget tp2 = budget_of(config, 2);
  const double ratio = static_cast<double>(tp2.per_gpu[ModelComponent::kDecoderLayers]) /
                       static_cast<double>(tp1.per_gpu[ModelComponent::kDecoderLayers]);
  EXPECT_NEAR(ratio, 0.5, 0.001);
}

TEST(WeightBudget, ShardsVllmRefusesAreErrors) {
  const io::ModelConfig awq = load_config(testing::kAwq);
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(awq, std::nullopt);
  ASSERT_TRUE(rules.ok());
  // 25600 / 16 = 1600 inputs per down_proj shard: not a multiple of the group size 128.
  base::Result<WeightBudget> tp16 = weight_budget(model_modules(awq), *rules, 16, EncoderTpMode::kWeights);
  ASSERT_FALSE(tp16.ok());
  EXPECT_NE(tp16.status().message().find("down_proj"), std::string::npos) << tp16.status().message();
  EXPECT_NE(tp16.status().message().find("group size 128"), std::string::npos) << tp16.status().message();
  base::Result<WeightBudget> tp3 = weight_budget(model_modules(awq), *rules, 3, EncoderTpMode::kWeights);
  ASSERT_FALSE(tp3.ok());
  EXPECT_NE(tp3.status().message().find("not divisible by 3"), std::string::npos) << tp3.status().message();
}

TEST(WeightBudget, TiedLmHeadIsNotCountedTwice) {
  io::ModelConfig config = load_config(testing::kBf16);
  config.tie_word_embeddings = true;
  const WeightBudget tied = budget_of(config, 1);
  EXPECT_EQ(tied.checkpoint[ModelComponent::kLmHead], 0u);
}

}  // namespace
}  // namespace fovea::plan
