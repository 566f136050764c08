// quantization_config detection for the formats of spec §6, written as small JSON examples modelled on it.
#include "io/quantization_config.h"

#include <gtest/gtest.h>

#include "io/model_config.h"
#include "io_test_util.h"

namespace fovea::io {
namespace {

using testing::expect_error;

TEST(QuantizationConfigTest, CompressedTensorsW4A16) {
  auto config = parse_quantization_config(R"({
    "quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
    "config_groups": {"group_0": {"targets": ["Linear"],
        "weights": {"num_bits": 4, "type": "int", "symmetric": true, "strategy": "group", "group_size": 128,
                    "dynamic": false, "actorder": null, "observer": "minmax", "block_structure": null},
        "input_activations": null, "output_activations": null}},
    "ignore": ["lm_head", "model.visual.blocks.0.attn.qkv", "re:.*mlp.gate$"],
    "kv_cache_scheme": null, "global_compression_ratio": null, "sparsity_config": {}, "version": "0.12.2"})",
                                          "config.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->method, QuantMethod::kCompressedTensors);
  EXPECT_EQ(config->quant_method, "compressed-tensors");
  EXPECT_EQ(config->format, "pack-quantized");
  EXPECT_EQ(config->quantization_status, "compressed");
  EXPECT_EQ(config->bits, 4);
  EXPECT_EQ(config->group_size, 128);
  EXPECT_EQ(config->symmetric, true);
  EXPECT_EQ(config->strategy, "group");
  EXPECT_EQ(config->actorder, "");
  EXPECT_EQ(config->weight_type, "int");
  EXPECT_FALSE(config->input_activation_bits.has_value());
  EXPECT_EQ(config->ignore, (std::vector<std::string>{"lm_head", "model.visual.blocks.0.attn.qkv", "re:.*mlp.gate$"}));
  ASSERT_EQ(config->groups.size(), 1u);
  EXPECT_EQ(config->groups[0].name, "group_0");
  EXPECT_EQ(config->groups[0].targets, std::vector<std::string>{"Linear"});
  EXPECT_EQ(config->describe(), "compressed-tensors pack-quantized int4 group 128 symmetric");
}

TEST(QuantizationConfigTest, CompressedTensorsAsymmetricWithActorderAndActivations) {
  auto config = parse_quantization_config(R"({
    "quant_method": "compressed-tensors",
    "config_groups": {
      "group_1": {"targets": ["Linear"], "format": "pack-quantized",
                  "weights": {"num_bits": 4, "symmetric": false, "strategy": "group", "group_size": 32,
                              "actorder": "group"}},
      "group_0": {"targets": ["re:.*lm_head"], "weights": null,
                  "input_activations": {"num_bits": 8, "dynamic": true}}}})",
                                          "config.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->groups.size(), 2u);
  EXPECT_EQ(config->groups[0].name, "group_0");
  EXPECT_EQ(config->groups[0].num_bits, 0);  // quantizes no weights
  EXPECT_EQ(config->bits, 4);                // the summary comes from group_1
  EXPECT_EQ(config->group_size, 32);
  EXPECT_EQ(config->symmetric, false);
  EXPECT_EQ(config->actorder, "group");
  EXPECT_EQ(config->format, "pack-quantized");
  EXPECT_NE(config->describe().find("asymmetric"), std::string::npos);
  // Old compressed-tensors wrote actorder as a bool.
  auto old = parse_quantization_config(R"({"quant_method": "compressed-tensors", "config_groups": {"g": {
      "weights": {"num_bits": 4, "actorder": true}}}})",
                                       "config.json");
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->actorder, "group");
}

TEST(QuantizationConfigTest, AutoAwq) {
  auto config = parse_quantization_config(R"({"quant_method": "awq", "bits": 4, "group_size": 128,
      "zero_point": true, "version": "gemm", "modules_to_not_convert": ["visual", "lm_head"]})",
                                          "config.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->method, QuantMethod::kAwq);
  EXPECT_EQ(config->bits, 4);
  EXPECT_EQ(config->group_size, 128);
  EXPECT_EQ(config->symmetric, false);  // zero_point: true means asymmetric
  EXPECT_EQ(config->format, "gemm");
  EXPECT_EQ(config->strategy, "group");
  EXPECT_EQ(config->ignore, (std::vector<std::string>{"visual", "lm_head"}));
  auto autoawq_names = parse_quantization_config(
      R"({"quant_method": "awq", "w_bit": 4, "q_group_size": 64, "modules_to_not_convert": null})", "config.json");
  ASSERT_TRUE(autoawq_names.ok());
  EXPECT_EQ(autoawq_names->group_size, 64);
  EXPECT_TRUE(autoawq_names->ignore.empty());
}

TEST(QuantizationConfigTest, Gptq) {
  auto config = parse_quantization_config(R"({"quant_method": "gptq", "bits": 4, "group_size": -1,
      "desc_act": true, "sym": true, "checkpoint_format": "gptq_v2"})",
                                          "config.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->method, QuantMethod::kGptq);
  EXPECT_EQ(config->group_size, -1);
  EXPECT_EQ(config->strategy, "channel");
  EXPECT_EQ(config->actorder, "desc_act");
  EXPECT_EQ(config->format, "gptq_v2");
  EXPECT_EQ(config->symmetric, true);
}

TEST(QuantizationConfigTest, GptqQuantizeConfigFile) {
  testing::TempDir dir;
  dir.write("config.json", R"({"model_type": "qwen3"})");
  dir.write("quantize_config.json",
            R"({"bits": 8, "group_size": 128, "desc_act": false, "sym": false, "static_groups": false})");
  auto config = read_model_config(dir.path());
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_TRUE(config->quantization_config.has_value());
  EXPECT_EQ(config->quantization_config->method, QuantMethod::kGptq);
  EXPECT_EQ(config->quantization_config->source_file, "quantize_config.json");
  EXPECT_EQ(config->quantization_config->bits, 8);
  EXPECT_EQ(config->quantization_config->symmetric, false);
  // config.json's quantization_config wins over quantize_config.json.
  dir.write("config.json", R"({"model_type": "qwen3", "quantization_config": {"quant_method": "awq"}})");
  config = read_model_config(dir.path());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->quantization_config->method, QuantMethod::kAwq);
  EXPECT_EQ(config->quantization_config->source_file, "config.json");
  dir.write("config.json", R"({"model_type": "qwen3"})");
  dir.write("quantize_config.json", R"({"bits": 99})");
  expect_error(read_model_config(dir.path()), {"quantize_config.json", "bits", "between 1 and 32"});
}

TEST(QuantizationConfigTest, QwenFp8) {
  auto config = parse_quantization_config(R"({"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
      "weight_block_size": [128, 128], "modules_to_not_convert": ["lm_head", "model.visual"]})",
                                          "config.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->method, QuantMethod::kFp8);
  EXPECT_EQ(config->bits, 8);
  EXPECT_EQ(config->weight_type, "float");
  EXPECT_EQ(config->weight_block_size, (std::vector<int64_t>{128, 128}));
  EXPECT_EQ(config->strategy, "block");
  EXPECT_EQ(config->activation_scheme, "dynamic");
  EXPECT_EQ(config->describe(), "fp8 e4m3 float8 block 128x128");
  expect_error(parse_quantization_config(R"({"quant_method": "fp8", "weight_block_size": [128]})", "config.json"),
               {"weight_block_size", "two positive integers"});
}

TEST(QuantizationConfigTest, OtherAndMalformed) {
  auto other = parse_quantization_config(R"({"quant_method": "bitsandbytes", "load_in_4bit": true})", "config.json");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->method, QuantMethod::kOther);
  EXPECT_EQ(other->quant_method, "bitsandbytes");
  expect_error(parse_quantization_config(R"({"bits": 4})", "config.json"), {"config.json", "no quant_method"});
  expect_error(parse_quantization_config(R"({"quant_method": "awq", "bits": 0})", "config.json"),
               {"quantization_config", "bits", "between 1 and 32"});
  expect_error(parse_quantization_config(R"({"quant_method": "gptq", "group_size": -5})", "config.json"),
               {"group_size", "-1"});
  expect_error(
      parse_quantization_config(R"({"quant_method": "compressed-tensors", "config_groups": [1]})", "config.json"),
      {"config_groups", "object"});
  expect_error(
      parse_quantization_config(R"({"quant_method": "compressed-tensors", "ignore": "lm_head"})", "config.json"),
      {"ignore", "list of strings"});
}

TEST(QuantizationConfigTest, FixtureFolder) {
  auto config = read_model_config(testing::fixture("qwen3-vl-tiny-legacy"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_TRUE(config->quantization_config.has_value());
  nlohmann::json expected = testing::expected_for("qwen3-vl-tiny-legacy").at("quantization");
  const QuantizationConfig& quant = *config->quantization_config;
  EXPECT_EQ(quant_method_name(quant.method), expected.at("method").get<std::string>());
  EXPECT_EQ(quant.bits, expected.at("bits").get<int64_t>());
  EXPECT_EQ(quant.group_size, expected.at("group_size").get<int64_t>());
  EXPECT_EQ(quant.symmetric, expected.at("symmetric").get<bool>());
  EXPECT_EQ(quant.strategy, expected.at("strategy").get<std::string>());
  EXPECT_EQ(quant.format, expected.at("format").get<std::string>());
  EXPECT_EQ(quant.ignore, expected.at("ignore").get<std::vector<std::string>>());
  EXPECT_EQ(quant.source_file, "config.json");
}

}  // namespace
}  // namespace fovea::io
