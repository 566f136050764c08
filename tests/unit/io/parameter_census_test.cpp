// Parameter counts per component, from weights and from config, against the counts of the models transformers
// instantiated from the same configs (expected.json, made on the meta device by the generator).
#include "io/parameter_census.h"

#include <gtest/gtest.h>

#include "io_test_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;

void expect_counts(const ParameterCensus& census, const json& expected) {
  for (int component_idx = 0; component_idx < kNumModelComponents; ++component_idx) {
    auto component = static_cast<ModelComponent>(component_idx);
    std::string name(component_name(component));
    EXPECT_EQ(census[component].num_params, expected.at("components").at(name).get<uint64_t>()) << name;
  }
  EXPECT_EQ(census.total_params(), expected.at("total").get<uint64_t>());
}

TEST(ParameterCensusTest, FromConfigMatchesTransformers) {
  for (const char* name :
       {"qwen3-vl-tiny", "qwen3-tiny", "qwen3-vl-tiny-legacy", "qwen3-vl-32b-instruct", "qwen3-vl-30b-a3b-instruct"}) {
    SCOPED_TRACE(name);
    auto config = read_model_config(testing::fixture(name));
    ASSERT_TRUE(config.ok()) << config.status().message();
    ParameterCensus census = census_from_config(*config);
    EXPECT_FALSE(census.from_weights);
    expect_counts(census, testing::expected_for(name).at("parameters"));
  }
}

TEST(ParameterCensusTest, FromWeightsMatchesTransformers) {
  for (const char* name : {"qwen3-vl-tiny", "qwen3-tiny", "qwen3-vl-tiny-legacy"}) {
    SCOPED_TRACE(name);
    json expected = testing::expected_for(name);
    auto config = read_model_config(testing::fixture(name));
    ASSERT_TRUE(config.ok()) << config.status().message();
    auto weights = WeightTable::open(testing::fixture(name));
    ASSERT_TRUE(weights.ok()) << weights.status().message();
    ParameterCensus census = census_from_weights(*weights, *config);
    EXPECT_TRUE(census.from_weights);
    expect_counts(census, expected.at("parameters"));
    EXPECT_EQ(census.total_packed_params(), expected.at("packed_parameters").get<uint64_t>());
    EXPECT_EQ(census.total_bytes(), expected.at("weights").at("total_bytes").get<uint64_t>());
    EXPECT_EQ(census.lm_head_tied, expected.at("tie_word_embeddings").get<bool>());
  }
}

TEST(ParameterCensusTest, PackedInt4CountsEightPerWord) {
  auto config = read_model_config(testing::fixture("qwen3-vl-tiny-legacy"));
  auto weights = WeightTable::open(testing::fixture("qwen3-vl-tiny-legacy"));
  ASSERT_TRUE(config.ok() && weights.ok());
  ParameterCensus census = census_from_weights(*weights, *config);
  EXPECT_EQ(census.packed_bits, 4);
  const ComponentCensus& decoder = census[ModelComponent::kDecoderLayers];
  EXPECT_GT(decoder.num_packed_params, 0u);
  uint64_t num_words = 0;
  for (const auto& [name, entry] : weights->entries()) {
    if (name.ends_with(".weight_packed")) num_words += static_cast<uint64_t>(entry.view.numel());
  }
  EXPECT_EQ(decoder.num_packed_params, 8 * num_words);
  EXPECT_EQ(decoder.dtypes,
            (std::vector<tensor::DType>{tensor::DType::kI32, tensor::DType::kI64, tensor::DType::kBF16}));
  EXPECT_EQ(census[ModelComponent::kVisionTower].num_packed_params, 0u);
}

TEST(ParameterCensusTest, ClassifiesHfNames) {
  EXPECT_EQ(classify_tensor("model.visual.blocks.0.attn.qkv.weight"), ModelComponent::kVisionTower);
  EXPECT_EQ(classify_tensor("model.language_model.embed_tokens.weight"), ModelComponent::kEmbeddings);
  EXPECT_EQ(classify_tensor("model.embed_tokens.weight"), ModelComponent::kEmbeddings);
  EXPECT_EQ(classify_tensor("model.language_model.layers.3.mlp.down_proj.weight_packed"),
            ModelComponent::kDecoderLayers);
  EXPECT_EQ(classify_tensor("model.layers.0.input_layernorm.weight"), ModelComponent::kDecoderLayers);
  EXPECT_EQ(classify_tensor("model.language_model.norm.weight"), ModelComponent::kFinalNorm);
  EXPECT_EQ(classify_tensor("lm_head.weight"), ModelComponent::kLmHead);
  EXPECT_EQ(classify_tensor("something.else"), ModelComponent::kOther);
}

TEST(ParameterCensusTest, BytesFromConfigFollowDtype) {
  auto config = read_model_config(testing::fixture("qwen3-vl-32b-instruct"));
  ASSERT_TRUE(config.ok());
  ParameterCensus census = census_from_config(*config);
  EXPECT_TRUE(census.bytes_known);
  EXPECT_EQ(census.total_bytes(), 2 * census.total_params());  // bfloat16
  auto quantized = read_model_config(testing::fixture("qwen3-vl-tiny-legacy"));
  ASSERT_TRUE(quantized.ok());
  EXPECT_FALSE(census_from_config(*quantized).bytes_known);
}

}  // namespace
}  // namespace fovea::io
