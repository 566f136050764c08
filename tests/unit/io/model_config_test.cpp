// config.json parsing: both RoPE forms against what the generator wrote (and what transformers read back),
// defaults, MoE and unknown model types, malformed fields.
#include "io/model_config.h"

#include <gtest/gtest.h>

#include "io_test_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;
using testing::expect_error;

base::Result<ModelConfig> parse(const std::string& text) { return parse_model_config(text, "config.json"); }

// Compares the parsed text config with the raw JSON object the generator wrote (HF field names).
void expect_text_matches(const TextConfig& text, const json& raw) {
  EXPECT_EQ(text.vocab_size, raw.at("vocab_size").get<int64_t>());
  EXPECT_EQ(text.hidden_size, raw.at("hidden_size").get<int64_t>());
  EXPECT_EQ(text.intermediate_size, raw.at("intermediate_size").get<int64_t>());
  EXPECT_EQ(text.num_hidden_layers, raw.at("num_hidden_layers").get<int64_t>());
  EXPECT_EQ(text.num_attention_heads, raw.at("num_attention_heads").get<int64_t>());
  EXPECT_EQ(text.num_key_value_heads, raw.at("num_key_value_heads").get<int64_t>());
  EXPECT_EQ(text.head_dim, raw.at("head_dim").get<int64_t>());
  EXPECT_EQ(text.hidden_act, raw.at("hidden_act").get<std::string>());
  EXPECT_EQ(text.max_position_embeddings, raw.at("max_position_embeddings").get<int64_t>());
  EXPECT_DOUBLE_EQ(text.rms_norm_eps, raw.at("rms_norm_eps").get<double>());
  EXPECT_EQ(text.attention_bias, raw.at("attention_bias").get<bool>());
  EXPECT_EQ(text.bos_token_id, raw.at("bos_token_id").get<int64_t>());
  EXPECT_EQ(text.eos_token_id, std::vector<int64_t>{raw.at("eos_token_id").get<int64_t>()});
  const RopeParameters& rope = text.rope_parameters;
  if (raw.contains("rope_parameters")) {
    const json& dict = raw.at("rope_parameters");
    EXPECT_FALSE(rope.legacy_form);
    EXPECT_DOUBLE_EQ(rope.rope_theta, dict.at("rope_theta").get<double>());
    EXPECT_EQ(rope.rope_type, dict.at("rope_type").get<std::string>());
    if (dict.contains("mrope_section")) {
      EXPECT_EQ(rope.mrope_section, dict.at("mrope_section").get<std::vector<int64_t>>());
      EXPECT_EQ(rope.mrope_interleaved, dict.at("mrope_interleaved").get<bool>());
    }
  } else {
    EXPECT_TRUE(rope.legacy_form);
    EXPECT_DOUBLE_EQ(rope.rope_theta, raw.at("rope_theta").get<double>());
    if (raw.at("rope_scaling").is_object()) {
      EXPECT_EQ(rope.rope_type, raw.at("rope_scaling").at("rope_type").get<std::string>());
      EXPECT_EQ(rope.mrope_section, raw.at("rope_scaling").at("mrope_section").get<std::vector<int64_t>>());
      EXPECT_EQ(rope.mrope_interleaved, raw.at("rope_scaling").at("mrope_interleaved").get<bool>());
    } else {
      EXPECT_EQ(rope.rope_type, "default");
    }
  }
}

void expect_vision_matches(const VisionConfig& vision, const json& raw) {
  EXPECT_EQ(vision.depth, raw.at("depth").get<int64_t>());
  EXPECT_EQ(vision.hidden_size, raw.at("hidden_size").get<int64_t>());
  EXPECT_EQ(vision.hidden_act, raw.at("hidden_act").get<std::string>());
  EXPECT_EQ(vision.intermediate_size, raw.at("intermediate_size").get<int64_t>());
  EXPECT_EQ(vision.num_heads, raw.at("num_heads").get<int64_t>());
  EXPECT_EQ(vision.in_channels, raw.at("in_channels").get<int64_t>());
  EXPECT_EQ(vision.patch_size, raw.at("patch_size").get<int64_t>());
  EXPECT_EQ(vision.spatial_merge_size, raw.at("spatial_merge_size").get<int64_t>());
  EXPECT_EQ(vision.temporal_patch_size, raw.at("temporal_patch_size").get<int64_t>());
  EXPECT_EQ(vision.out_hidden_size, raw.at("out_hidden_size").get<int64_t>());
  EXPECT_EQ(vision.num_position_embeddings, raw.at("num_position_embeddings").get<int64_t>());
  EXPECT_EQ(vision.deepstack_visual_indexes, raw.at("deepstack_visual_indexes").get<std::vector<int64_t>>());
}

// What transformers itself loaded from the file (expected.json), independent of the file's layout.
void expect_rope_as_transformers(const RopeParameters& rope, const json& expected) {
  EXPECT_EQ(rope.rope_type, expected.at("rope_type").get<std::string>());
  EXPECT_DOUBLE_EQ(rope.rope_theta, expected.at("rope_theta").get<double>());
  EXPECT_EQ(rope.mrope_section, expected.at("mrope_section").get<std::vector<int64_t>>());
  EXPECT_EQ(rope.mrope_interleaved, expected.at("mrope_interleaved").get<bool>());
}

TEST(ModelConfigTest, VisionLanguageFixturesBothForms) {
  for (const char* name : {"qwen3-vl-tiny", "qwen3-vl-tiny-legacy", "qwen3-vl-32b-instruct"}) {
    SCOPED_TRACE(name);
    json raw = testing::read_json(testing::fixture(name) + "/config.json");
    auto config = load_model_config(testing::fixture(name));
    ASSERT_TRUE(config.ok()) << config.status().message();
    EXPECT_EQ(config->type, ModelType::kQwen3Vl);
    EXPECT_EQ(config->model_type, "qwen3_vl");
    EXPECT_EQ(config->architectures, raw.at("architectures").get<std::vector<std::string>>());
    EXPECT_EQ(config->dtype, (raw.contains("dtype") ? raw.at("dtype") : raw.at("torch_dtype")).get<std::string>());
    EXPECT_EQ(config->image_token_id, raw.at("image_token_id").get<int64_t>());
    EXPECT_EQ(config->video_token_id, raw.at("video_token_id").get<int64_t>());
    EXPECT_EQ(config->vision_start_token_id, raw.at("vision_start_token_id").get<int64_t>());
    EXPECT_EQ(config->vision_end_token_id, raw.at("vision_end_token_id").get<int64_t>());
    EXPECT_EQ(config->tie_word_embeddings, raw.at("tie_word_embeddings").get<bool>());
    expect_text_matches(config->text_config, raw.at("text_config"));
    ASSERT_TRUE(config->vision_config.has_value());
    expect_vision_matches(*config->vision_config, raw.at("vision_config"));
    json expected = testing::expected_for(name);
    expect_rope_as_transformers(config->text_config.rope_parameters, expected.at("rope"));
    EXPECT_EQ(config->tie_word_embeddings, expected.at("tie_word_embeddings").get<bool>());
  }
}

TEST(ModelConfigTest, TextFixtureLegacyForm) {
  json raw = testing::read_json(testing::fixture("qwen3-tiny") + "/config.json");
  auto config = load_model_config(testing::fixture("qwen3-tiny"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->type, ModelType::kQwen3);
  EXPECT_FALSE(config->has_vision());
  EXPECT_EQ(config->dtype, raw.at("torch_dtype").get<std::string>());
  EXPECT_EQ(config->tie_word_embeddings, raw.at("tie_word_embeddings").get<bool>());
  expect_text_matches(config->text_config, raw);
  EXPECT_EQ(config->text_config.use_sliding_window, raw.at("use_sliding_window").get<bool>());
  EXPECT_FALSE(config->text_config.sliding_window.has_value());  // null in the file
  expect_rope_as_transformers(config->text_config.rope_parameters, testing::expected_for("qwen3-tiny").at("rope"));
}

TEST(ModelConfigTest, MixtureOfExpertsIsRecognisedButNotSupported) {
  std::string dir = testing::fixture("qwen3-vl-30b-a3b-instruct");
  json raw = testing::read_json(dir + "/config.json");
  auto described = read_model_config(dir);
  ASSERT_TRUE(described.ok()) << described.status().message();
  EXPECT_EQ(described->type, ModelType::kQwen3VlMoe);
  EXPECT_TRUE(described->is_moe());
  const json& text = raw.at("text_config");
  EXPECT_EQ(described->text_config.num_experts, text.at("num_experts").get<int64_t>());
  EXPECT_EQ(described->text_config.num_experts_per_tok, text.at("num_experts_per_tok").get<int64_t>());
  EXPECT_EQ(described->text_config.moe_intermediate_size, text.at("moe_intermediate_size").get<int64_t>());
  EXPECT_EQ(described->text_config.decoder_sparse_step, text.at("decoder_sparse_step").get<int64_t>());
  expect_text_matches(described->text_config, text);

  auto loaded = load_model_config(dir);
  expect_error(loaded, {"qwen3_vl_moe", "not supported yet", "qwen3, qwen3_vl"});
  EXPECT_EQ(loaded.status().code(), base::StatusCode::kUnsupported);
  auto text_moe = parse(R"({"model_type": "qwen3_moe", "num_experts": 8, "num_experts_per_tok": 2})");
  ASSERT_TRUE(text_moe.ok()) << text_moe.status().message();
  expect_error(check_model_supported(*text_moe), {"qwen3_moe", "not supported yet"});
}

TEST(ModelConfigTest, UnknownOrMissingModelType) {
  auto llama = parse(R"({"model_type": "llama", "hidden_size": 8})");
  expect_error(llama, {"config.json", "\"llama\"", "not supported", "qwen3, qwen3_vl"});
  EXPECT_EQ(llama.status().code(), base::StatusCode::kUnsupported);
  expect_error(parse(R"({"hidden_size": 8})"), {"config.json", "no model_type", "qwen3, qwen3_vl"});
  expect_error(parse("[1]"), {"config.json", "must be a JSON object"});
  expect_error(parse("{"), {"config.json", "not valid JSON"});
}

TEST(ModelConfigTest, DefaultsAreTransformers) {
  auto vl = parse(R"({"model_type": "qwen3_vl"})");
  ASSERT_TRUE(vl.ok()) << vl.status().message();
  EXPECT_DOUBLE_EQ(vl->text_config.rope_parameters.rope_theta, 500000.0);  // Qwen3VLTextConfig.default_theta
  EXPECT_EQ(vl->text_config.rope_parameters.mrope_section, (std::vector<int64_t>{24, 20, 20}));
  EXPECT_EQ(vl->text_config.max_position_embeddings, 128000);
  EXPECT_EQ(vl->vision_config->deepstack_visual_indexes, (std::vector<int64_t>{8, 16, 24}));
  EXPECT_EQ(vl->vision_config->out_hidden_size, 3584);
  EXPECT_EQ(vl->image_token_id, 151655);
  EXPECT_FALSE(vl->tie_word_embeddings);
  auto text = parse(R"({"model_type": "qwen3"})");
  ASSERT_TRUE(text.ok());
  EXPECT_DOUBLE_EQ(text->text_config.rope_parameters.rope_theta, 10000.0);
  EXPECT_EQ(text->text_config.max_position_embeddings, 32768);
  EXPECT_EQ(text->text_config.head_dim, 128);
  auto moe = parse(R"({"model_type": "qwen3_vl_moe", "text_config": {"hidden_size": 256, "num_attention_heads": 8,
                                                                        "num_key_value_heads": 2}})");
  ASSERT_TRUE(moe.ok()) << moe.status().message();
  EXPECT_EQ(moe->text_config.head_dim, 32);  // MoE configs default head_dim to hidden_size / heads
  EXPECT_TRUE(moe->text_config.norm_topk_prob);
  EXPECT_EQ(moe->text_config.num_experts, 60);
  // transformers 5 spells num_experts as num_local_experts.
  auto v5 = parse(R"({"model_type": "qwen3_moe", "num_local_experts": 16, "num_experts_per_tok": 4})");
  ASSERT_TRUE(v5.ok()) << v5.status().message();
  EXPECT_EQ(v5->text_config.num_experts, 16);
}

TEST(ModelConfigTest, RopeStandardisation) {
  // Legacy "type" key; rope_theta beside rope_scaling.
  auto legacy = parse(R"({"model_type": "qwen3", "rope_theta": 1e6,
                          "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}})");
  ASSERT_TRUE(legacy.ok()) << legacy.status().message();
  const RopeParameters& rope = legacy->text_config.rope_parameters;
  EXPECT_TRUE(rope.legacy_form);
  EXPECT_EQ(rope.rope_type, "yarn");
  EXPECT_DOUBLE_EQ(rope.rope_theta, 1e6);
  EXPECT_EQ(rope.factor, 4.0);
  EXPECT_EQ(rope.original_max_position_embeddings, 32768);
  // transformers takes a non-empty rope_scaling over rope_parameters; theta inside the dict wins.
  auto both = parse(R"({"model_type": "qwen3", "rope_theta": 5.0, "rope_parameters": {"rope_type": "default"},
                        "rope_scaling": {"rope_type": "linear", "factor": 2.0, "rope_theta": 7.0}})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->text_config.rope_parameters.rope_type, "linear");
  EXPECT_DOUBLE_EQ(both->text_config.rope_parameters.rope_theta, 7.0);
  // An empty rope_scaling is ignored.
  auto empty = parse(R"({"model_type": "qwen3", "rope_scaling": {}, "rope_parameters": {"rope_theta": 3.0}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->text_config.rope_parameters.legacy_form);
  EXPECT_DOUBLE_EQ(empty->text_config.rope_parameters.rope_theta, 3.0);
  expect_error(parse(R"({"model_type": "qwen3", "rope_scaling": "yarn"})"), {"rope_scaling", "object or null"});
  expect_error(parse(R"({"model_type": "qwen3_vl", "text_config": {"rope_parameters": {"mrope_section": [1, 2]}}})"),
               {"text_config.rope_parameters.mrope_section", "three"});
}

TEST(ModelConfigTest, TieWordEmbeddingsTopLevelWinsForVisionLanguage) {
  auto config = parse(R"({"model_type": "qwen3_vl", "text_config": {"tie_word_embeddings": true}})");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->tie_word_embeddings);
  EXPECT_EQ(config->text_config.tie_word_embeddings, true);
  config = parse(
      R"({"model_type": "qwen3_vl", "tie_word_embeddings": true, "text_config": {"tie_word_embeddings": false}})");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->tie_word_embeddings);
}

TEST(ModelConfigTest, DtypeSpellingsAndIds) {
  auto config = parse(R"({"model_type": "qwen3", "torch_dtype": "float16", "eos_token_id": [1, 2],
                          "num_key_value_heads": null, "num_attention_heads": 4})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->dtype, "float16");
  EXPECT_EQ(config->text_config.eos_token_id, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(config->text_config.num_key_value_heads, 4);
  config = parse(R"({"model_type": "qwen3", "torch_dtype": "float16", "dtype": "bfloat16"})");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->dtype, "bfloat16");
  auto vl = parse(R"({"model_type": "qwen3_vl", "eos_token_id": 9, "text_config": {}})");
  ASSERT_TRUE(vl.ok());
  EXPECT_EQ(vl->text_config.eos_token_id, (std::vector<int64_t>{9}));  // falls back to the top level
}

TEST(ModelConfigTest, MalformedFieldsNameTheField) {
  expect_error(parse(R"({"model_type": "qwen3_vl", "text_config": {"hidden_size": "big"}})"),
               {"config.json", "text_config.hidden_size", "must be an integer", "a string"});
  expect_error(parse(R"({"model_type": "qwen3", "num_attention_heads": 6, "num_key_value_heads": 4})"),
               {"num_key_value_heads", "must divide"});
  expect_error(parse(R"({"model_type": "qwen3", "hidden_size": 0})"), {"hidden_size", "positive"});
  expect_error(parse(R"({"model_type": "qwen3", "rms_norm_eps": true})"), {"rms_norm_eps", "number"});
  expect_error(
      parse(R"({"model_type": "qwen3_vl", "vision_config": {"depth": 4, "deepstack_visual_indexes": [1, 4]}})"),
      {"vision_config.deepstack_visual_indexes", "4", "depth"});
  expect_error(parse(R"({"model_type": "qwen3_vl", "vision_config": {"hidden_size": 100, "num_heads": 16}})"),
               {"vision_config.num_heads", "divide"});
  expect_error(parse(R"({"model_type": "qwen3_vl", "text_config": [1]})"), {"text_config", "object"});
  expect_error(parse(R"({"model_type": "qwen3_moe", "num_experts": 4, "num_experts_per_tok": 8})"),
               {"num_experts_per_tok"});
  expect_error(parse(R"({"model_type": "qwen3", "quantization_config": 4})"), {"quantization_config", "object"});
}

TEST(ModelConfigTest, MissingConfigFile) {
  testing::TempDir dir;
  auto config = read_model_config(dir.path());
  expect_error(config, {dir.path(), "no config.json"});
  EXPECT_EQ(config.status().code(), base::StatusCode::kNotFound);
}

TEST(ModelConfigTest, MoeLayerRule) {
  TextConfig text;
  text.num_hidden_layers = 12;
  text.num_experts = 4;
  text.decoder_sparse_step = 2;
  text.mlp_only_layers = {3, 4};
  std::vector<int64_t> moe_layers;
  for (int64_t layer_idx = 0; layer_idx < text.num_hidden_layers; ++layer_idx) {
    if (text.is_moe_layer(layer_idx)) moe_layers.push_back(layer_idx);
  }
  EXPECT_EQ(moe_layers, (std::vector<int64_t>{1, 5, 7, 9, 11}));  // (idx + 1) % 2 == 0, minus layer 3
}

}  // namespace
}  // namespace fovea::io
