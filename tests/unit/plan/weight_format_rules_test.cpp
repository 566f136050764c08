// Weight-format byte rules against the real libraries' tensors (tests/data/plan/weight_bytes.json, made by
// tools/golden/make_plan_fixtures.py): per component and total within 1%, and the exact tensors of sample Linears;
// which modules each producer's ignore rules keep unquantized; --quantization agreeing with the checkpoint.
#include "plan/weight_format_rules.h"

#include <gtest/gtest.h>

#include <map>

#include "io/quantization_config.h"
#include "plan/model_layout.h"
#include "plan/weight_budget.h"
#include "plan_test_util.h"

namespace fovea::plan {
namespace {

using testing::load_config;
using testing::tensor_sums;

std::string torch_dtype_name(tensor::DType dtype) {
  static const std::map<tensor::DType, std::string> names = {
      {tensor::DType::kBF16, "bfloat16"},       {tensor::DType::kF16, "float16"}, {tensor::DType::kF32, "float32"},
      {tensor::DType::kI32, "int32"},           {tensor::DType::kI64, "int64"},   {tensor::DType::kI8, "int8"},
      {tensor::DType::kF8E4M3, "float8_e4m3fn"}};
  return names.at(dtype);
}

class CheckpointBytes : public ::testing::TestWithParam<const char*> {};

TEST_P(CheckpointBytes, ComponentsWithinOnePercentOfTheLibrariesTensors) {
  const io::ModelConfig config = load_config(GetParam());
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  base::Result<WeightBudget> budget = weight_budget(model_modules(config), *rules, 1, EncoderTpMode::kWeights);
  ASSERT_TRUE(budget.ok()) << budget.status().message();
  const nlohmann::json sums = tensor_sums(GetParam());
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    const auto component = static_cast<io::ModelComponent>(component_idx);
    const std::string name(io::component_name(component));
    const double want = sums.at("components").at(name).at("bytes").get<double>();
    const double got = static_cast<double>(budget->checkpoint[component]);
    // The acceptance bound is 1%; the rules reproduce the libraries' tensors to the byte.
    EXPECT_LE(std::abs(got - want), 0.01 * want)
        << GetParam() << " " << name << ": fovea " << got << ", libraries " << want;
    EXPECT_EQ(got, want) << GetParam() << " " << name;
  }
  const double want_total = sums.at("total").at("bytes").get<double>();
  EXPECT_LE(std::abs(static_cast<double>(budget->checkpoint.total()) - want_total), 0.01 * want_total);
  // At tp 1 every GPU holds the whole checkpoint.
  EXPECT_EQ(budget->per_gpu.total(), budget->checkpoint.total());
}

TEST_P(CheckpointBytes, SampleLinearsHoldTheLibrariesTensors) {
  const io::ModelConfig config = load_config(GetParam());
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok());
  std::map<std::string, ModuleSpec> modules;
  for (const ModuleSpec& module : model_modules(config)) modules[module.name] = module;
  const nlohmann::json sums = tensor_sums(GetParam());
  for (const auto& [module_name, example] : sums.at("example_linears").items()) {
    ASSERT_TRUE(modules.count(module_name)) << module_name;
    const ModuleSpec& module = modules.at(module_name);
    EXPECT_EQ(module.out_features, example.at("out_features").get<int64_t>()) << module_name;
    EXPECT_EQ(module.in_features, example.at("in_features").get<int64_t>()) << module_name;
    const std::vector<TensorBytes> tensors =
        linear_tensors(rules->scheme_for(module_name, module.in_vision_tower), module.out_features, module.in_features,
                       module.bias_features);
    ASSERT_EQ(tensors.size(), example.at("tensors").size()) << GetParam() << " " << module_name;
    for (const TensorBytes& tensor : tensors) {
      ASSERT_TRUE(example.at("tensors").contains(tensor.suffix)) << module_name << "." << tensor.suffix;
      const nlohmann::json& want = example.at("tensors").at(tensor.suffix);
      EXPECT_EQ(tensor.shape, want.at("shape").get<std::vector<int64_t>>()) << module_name << "." << tensor.suffix;
      EXPECT_EQ(torch_dtype_name(tensor.dtype), want.at("dtype").get<std::string>())
          << module_name << "." << tensor.suffix;
      EXPECT_EQ(tensor.num_bytes, want.at("bytes").get<uint64_t>()) << module_name << "." << tensor.suffix;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PublishedCheckpoints, CheckpointBytes,
                         ::testing::Values(testing::kBf16, testing::kFp8, testing::kW4a16, testing::kAwq,
                                           testing::kVl8b));

// A Qwen3-VL-32B config with the given quantization_config text.
io::ModelConfig with_quantization(const std::string& json_text) {
  io::ModelConfig config = load_config(testing::kBf16);
  base::Result<io::QuantizationConfig> quant = io::parse_quantization_config(json_text, "config.json");
  EXPECT_TRUE(quant.ok()) << quant.status().message();
  if (quant.ok()) config.quantization_config = *quant;
  return config;
}

constexpr const char* kQProj = "model.language_model.layers.3.self_attn.q_proj";
constexpr const char* kVisionQkv = "model.visual.blocks.2.attn.qkv";

TEST(WeightFormatRules, CompressedTensorsIgnoreNamesAndPatterns) {
  io::ModelConfig config = with_quantization(R"({"quant_method": "compressed-tensors", "format": "pack-quantized",
      "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int",
      "symmetric": true, "strategy": "group", "group_size": 128}}},
      "ignore": ["lm_head", "re:.*visual.*", "model.language_model.layers.3.mlp.down_proj"]})");
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->scheme_for(kQProj, false).format, WeightFormat::kPackedInt);
  EXPECT_EQ(rules->scheme_for("model.language_model.layers.4.mlp.down_proj", false).format, WeightFormat::kPackedInt);
  EXPECT_FALSE(rules->scheme_for("model.language_model.layers.3.mlp.down_proj", false).quantized());
  EXPECT_FALSE(rules->scheme_for("lm_head", false).quantized());
  EXPECT_FALSE(rules->scheme_for(kVisionQkv, true).quantized());
  // Exact names only: "lm_head" does not ignore "lm_head_extra", and a re: pattern anchors at the start.
  EXPECT_TRUE(rules->scheme_for("lm_head_extra", false).quantized());
  EXPECT_EQ(rules->min_bits(), 4);
}

TEST(WeightFormatRules, CompressedTensorsTargetsByName) {
  io::ModelConfig config = with_quantization(R"({"quant_method": "compressed-tensors", "format": "pack-quantized",
      "config_groups": {"group_0": {"targets": ["re:.*mlp\\.(gate|up)_proj$"], "weights": {"num_bits": 8,
      "type": "int", "symmetric": true, "strategy": "channel"}},
      "group_1": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int", "symmetric": false,
      "strategy": "group", "group_size": 64}}}, "ignore": ["lm_head"]})");
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->scheme_for("model.language_model.layers.0.mlp.up_proj", false).bits, 8);
  LinearScheme q = rules->scheme_for(kQProj, false);
  EXPECT_EQ(q.bits, 4);
  EXPECT_EQ(q.group_size, 64);
  EXPECT_FALSE(q.symmetric);
}

TEST(WeightFormatRules, Fp8ModulesToNotConvertMatchAtModuleBoundariesOrAsSuffix) {
  io::ModelConfig config = with_quantization(R"({"quant_method": "fp8", "fmt": "e4m3",
      "activation_scheme": "dynamic", "weight_block_size": [128, 128],
      "modules_to_not_convert": ["lm_head", "model.visual", "layers.1.mlp", "model.language_model.layers.2.mlp.up_proj"]})");
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->scheme_for(kQProj, false).format, WeightFormat::kFloat8);
  EXPECT_FALSE(rules->scheme_for(kVisionQkv, true).quantized());
  EXPECT_FALSE(rules->scheme_for("lm_head", false).quantized());
  EXPECT_FALSE(rules->scheme_for("model.language_model.layers.2.mlp.up_proj", false).quantized());
  EXPECT_TRUE(rules->scheme_for("model.language_model.layers.2.mlp.gate_proj", false).quantized());
  // "layers.1.mlp" is neither a prefix of the full name nor its suffix.
  EXPECT_TRUE(rules->scheme_for("model.language_model.layers.1.mlp.down_proj", false).quantized());
}

TEST(WeightFormatRules, AwqSkipsBySubstringAndNeverQuantizesLmHead) {
  io::ModelConfig config = with_quantization(R"({"quant_method": "awq", "bits": 4, "group_size": 128,
      "zero_point": true, "version": "gemm", "modules_to_not_convert": ["visual"]})");
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->scheme_for(kQProj, false).format, WeightFormat::kAwqGemm);
  EXPECT_FALSE(rules->scheme_for(kVisionQkv, true).quantized());
  EXPECT_FALSE(rules->scheme_for("lm_head", false).quantized());
}

TEST(WeightFormatRules, GptqLeavesTheVisionTowerAlone) {
  io::ModelConfig config = with_quantization(R"({"quant_method": "gptq", "bits": 4, "group_size": 128,
      "desc_act": false, "sym": true})");
  base::Result<WeightFormatRules> rules = WeightFormatRules::from_config(config, std::nullopt);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->scheme_for(kQProj, false).format, WeightFormat::kGptq);
  EXPECT_FALSE(rules->scheme_for(kVisionQkv, true).quantized());
  // GPTQ: qweight [K/8, N], qzeros [K/G, N/8], scales [K/G, N] fp16, g_idx [K].
  std::vector<TensorBytes> tensors = linear_tensors(rules->scheme_for(kQProj, false), 8192, 5120, 0);
  ASSERT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{640, 8192}));
  EXPECT_EQ(tensors[1].shape, (std::vector<int64_t>{40, 1024}));
  EXPECT_EQ(tensors[3].shape, (std::vector<int64_t>{5120}));
}

TEST(WeightFormatRules, QuantizationFlagMustAgreeWithTheCheckpoint) {
  const io::ModelConfig fp8 = load_config(testing::kFp8);
  EXPECT_TRUE(WeightFormatRules::from_config(fp8, std::string("fp8")).ok());
  base::Result<WeightFormatRules> contradiction = WeightFormatRules::from_config(fp8, std::string("awq"));
  ASSERT_FALSE(contradiction.ok());
  EXPECT_NE(contradiction.status().message().find("quantized with fp8"), std::string::npos)
      << contradiction.status().message();
  EXPECT_TRUE(WeightFormatRules::from_config(load_config(testing::kAwq), std::string("awq_marlin")).ok());
  EXPECT_TRUE(WeightFormatRules::from_config(load_config(testing::kW4a16), std::string("compressed-tensors")).ok());
  base::Result<WeightFormatRules> unknown = WeightFormatRules::from_config(fp8, std::string("int3"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("compressed-tensors"), std::string::npos);
}

TEST(WeightFormatRules, OnlineFp8OnAnUnquantizedCheckpoint) {
  const io::ModelConfig bf16 = load_config(testing::kBf16);
  base::Result<WeightFormatRules> fp8 = WeightFormatRules::from_config(bf16, std::string("fp8"));
  ASSERT_TRUE(fp8.ok());
  EXPECT_EQ(fp8->scheme_for(kQProj, false).format, WeightFormat::kFloat8);
  EXPECT_FALSE(fp8->scheme_for("lm_head", false).quantized());
  base::Result<WeightFormatRules> awq = WeightFormatRules::from_config(bf16, std::string("awq"));
  ASSERT_FALSE(awq.ok());
  EXPECT_NE(awq.status().message().find("no quantization_config"), std::string::npos);
}

TEST(WeightFormatRules, ShardProblems) {
  LinearScheme int4 = WeightFormatRules::int4_group128(load_config(testing::kBf16)).scheme_for(kQProj, false);
  EXPECT_EQ(shard_problem(int4, 5120, 12800, true), "");
  EXPECT_NE(shard_problem(int4, 5120, 1600, true).find("group size 128"), std::string::npos);
  EXPECT_EQ(shard_problem(int4, 1600, 5120, false), "");  // column shards keep whole groups
}

}  // namespace
}  // namespace fovea::plan
