// Format detection per module, ignore-list and target matching, and the --quantization flag check.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "quant/linear_format.h"
#include "quant/module_match.h"
#include "quant/quantization_flag.h"
#include "quant_test_util.h"

namespace fovea::quant {
namespace {

using tensor::DType;
using testing::parse_config;
using testing::SyntheticCheckpoint;

TEST(DetectionTest, FromTensorNamesAndDtypes) {
  SyntheticCheckpoint checkpoint;
  checkpoint.add_floats("dense.weight", DType::kBF16, {2, 2}, {1, 2, 3, 4});
  checkpoint.add_i32("ct.weight_packed", {2, 1}, {0, 0});
  checkpoint.add_i32("q.qweight", {8, 2}, std::vector<uint32_t>(16, 0));
  checkpoint.add("fp8.weight", DType::kF8E4M3, {2, 2}, std::vector<uint8_t>(4, 0));
  checkpoint.add_floats("fp8.weight_scale_inv", DType::kF32, {1, 1}, {1});
  checkpoint.add("ctfp8.weight", DType::kF8E4M3, {2, 2}, std::vector<uint8_t>(4, 0));
  checkpoint.add_floats("ctfp8.weight_scale", DType::kBF16, {2, 1}, {1, 1});
  const io::QuantizationConfig ct = parse_config(R"({"quant_method": "compressed-tensors"})");
  const io::QuantizationConfig awq = parse_config(R"({"quant_method": "awq"})");
  const io::QuantizationConfig gptq = parse_config(R"({"quant_method": "gptq"})");
  const io::QuantizationConfig fp8 = parse_config(R"({"quant_method": "fp8"})");
  const TensorLookup& lookup = checkpoint.lookup();
  EXPECT_EQ(*detect_linear_format(lookup, "dense", nullptr), LinearFormat::kDense);
  EXPECT_EQ(*detect_linear_format(lookup, "dense", &awq), LinearFormat::kDense) << "unquantized layers stay dense";
  EXPECT_EQ(*detect_linear_format(lookup, "ct", &ct), LinearFormat::kCompressedInt);
  EXPECT_EQ(*detect_linear_format(lookup, "ctfp8", &ct), LinearFormat::kCompressedFloat);
  EXPECT_EQ(*detect_linear_format(lookup, "q", &awq), LinearFormat::kAwqGemm);
  EXPECT_EQ(*detect_linear_format(lookup, "q", &gptq), LinearFormat::kGptq);
  EXPECT_EQ(*detect_linear_format(lookup, "fp8", &fp8), LinearFormat::kFp8Block);
  EXPECT_EQ(detect_linear_format(lookup, "fp8", &ct).status().code(), base::StatusCode::kDataLoss);
  EXPECT_EQ(detect_linear_format(lookup, "ctfp8", &fp8).status().code(), base::StatusCode::kDataLoss);
  EXPECT_EQ(detect_linear_format(lookup, "q", nullptr).status().code(), base::StatusCode::kDataLoss);
  EXPECT_EQ(detect_linear_format(lookup, "absent", &ct).status().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(linear_format_name(LinearFormat::kAwqGemm), "awq-gemm");
}

TEST(ModuleMatchTest, CompressedTensorsNamesAndPatterns) {
  EXPECT_TRUE(compressed_tensors_entry_matches("lm_head", "lm_head"));
  EXPECT_FALSE(compressed_tensors_entry_matches("lm_head", "model.lm_head_extra"));
  EXPECT_TRUE(compressed_tensors_entry_matches("re:.*visual.*", "model.visual.blocks.0.attn.qkv"));
  EXPECT_TRUE(compressed_tensors_entry_matches("re:model.visual.*", "model.visual.merger.linear_fc1"));
  // re.match anchors at the start only.
  EXPECT_FALSE(compressed_tensors_entry_matches("re:visual", "model.visual.blocks.0.attn.qkv"));
  EXPECT_TRUE(compressed_tensors_entry_matches("re:.*mlp.gate$", "model.layers.3.mlp.gate"));
  EXPECT_FALSE(compressed_tensors_entry_matches("re:.*mlp.gate$", "model.layers.3.mlp.gate_proj"));
  EXPECT_FALSE(compressed_tensors_entry_matches("re:([unclosed", "anything")) << "a bad pattern matches nothing";
  EXPECT_TRUE(compressed_tensors_entry_matches("Linear", "model.layers.0.mlp.up_proj"));
  EXPECT_TRUE(compressed_tensors_entry_matches(R"(re:.*layers\.[0-9]{1,2}\.mlp)", "model.layers.17.mlp.up_proj"));
}

// Patterns come from an untrusted config.json: none may take exponential time or unbounded memory.
TEST(ModuleMatchTest, HostilePatternsStayCheap) {
  const std::string long_name = "model.layers.0." + std::string(200, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(compressed_tensors_entry_matches("re:(a*)*(a*)*(a*)*b", long_name));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
  EXPECT_FALSE(compressed_tensors_entry_matches("re:a{100000}", std::string(10, 'a'))) << "refused, matches nothing";
  EXPECT_FALSE(compressed_tensors_entry_matches("re:((a{20}){20}){20}", "a"));
  EXPECT_FALSE(compressed_tensors_entry_matches("re:" + std::string(300, '('), "a"));
  EXPECT_FALSE(compressed_tensors_entry_matches("re:" + std::string(257, 'a'), std::string(257, 'a')));
}

TEST(ModuleMatchTest, IgnoreListsPerMethod) {
  const io::QuantizationConfig ct = parse_config(R"({"quant_method": "compressed-tensors",
      "ignore": ["lm_head", "re:model[.]visual[.].*"], "config_groups": {
        "group_0": {"targets": ["re:.*self_attn.*"], "weights": {"num_bits": 8}},
        "group_1": {"targets": ["Linear"], "weights": {"num_bits": 4}}}})");
  EXPECT_TRUE(module_is_ignored(ct, "lm_head"));
  EXPECT_TRUE(module_is_ignored(ct, "model.visual.blocks.0.mlp.linear_fc1"));
  EXPECT_FALSE(module_is_ignored(ct, "model.language_model.layers.0.mlp.up_proj"));
  EXPECT_EQ(compressed_tensors_group(ct, "model.layers.0.self_attn.q_proj")->num_bits, 8);
  EXPECT_EQ(compressed_tensors_group(ct, "model.layers.0.mlp.up_proj")->num_bits, 4);
  EXPECT_EQ(compressed_tensors_group(ct, "lm_head"), nullptr);
  // AutoAWQ / GPTQ / FP8 modules_to_not_convert: substrings, as vLLM reads them.
  const io::QuantizationConfig awq = parse_config(R"({"quant_method": "awq", "modules_to_not_convert": ["visual"]})");
  EXPECT_TRUE(module_is_ignored(awq, "model.visual.blocks.0.attn.qkv"));
  EXPECT_FALSE(module_is_ignored(awq, "model.language_model.layers.0.mlp.up_proj"));
}

TEST(QuantizationFlagTest, AgreesOrExplains) {
  const io::QuantizationConfig awq = parse_config(R"({"quant_method": "awq", "bits": 4, "group_size": 128})");
  const io::QuantizationConfig gptq = parse_config(R"({"bits": 4, "group_size": 128})", true);
  const io::QuantizationConfig ct = parse_config(R"({"quant_method": "compressed-tensors"})");
  const io::QuantizationConfig fp8 = parse_config(R"({"quant_method": "fp8", "weight_block_size": [128, 128]})");
  EXPECT_TRUE(check_quantization_flag(&awq, "").ok());
  EXPECT_TRUE(check_quantization_flag(nullptr, "").ok());
  EXPECT_TRUE(check_quantization_flag(&awq, "awq").ok());
  EXPECT_TRUE(check_quantization_flag(&awq, "awq_marlin").ok());
  EXPECT_TRUE(check_quantization_flag(&gptq, "gptq_marlin").ok());
  EXPECT_TRUE(check_quantization_flag(&ct, "compressed-tensors").ok());
  EXPECT_TRUE(check_quantization_flag(&fp8, "fp8").ok());

  base::Status wrong = check_quantization_flag(&awq, "gptq");
  EXPECT_EQ(wrong.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("quant_method \"awq\""), std::string::npos) << wrong.message();
  EXPECT_NE(wrong.message().find("pass awq (or awq_marlin)"), std::string::npos) << wrong.message();
  EXPECT_EQ(check_quantization_flag(&ct, "gptq_marlin").code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(check_quantization_flag(&gptq, "awq_marlin").code(), base::StatusCode::kInvalidArgument);

  // vLLM's online quantization of an unquantized checkpoint: fp8 only.
  EXPECT_TRUE(check_quantization_flag(nullptr, "fp8").ok());
  EXPECT_TRUE(quantizes_online_to_fp8(nullptr, "fp8"));
  EXPECT_FALSE(quantizes_online_to_fp8(&fp8, "fp8"));
  EXPECT_FALSE(quantizes_online_to_fp8(nullptr, ""));
  base::Status online = check_quantization_flag(nullptr, "awq");
  EXPECT_EQ(online.code(), base::StatusCode::kUnsupported);
  EXPECT_NE(online.message().find("unquantized checkpoint"), std::string::npos) << online.message();
  EXPECT_NE(online.message().find("only for fp8"), std::string::npos) << online.message();

  base::Status unknown = check_quantization_flag(&awq, "awq4");
  EXPECT_EQ(unknown.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("gptq_marlin"), std::string::npos) << "lists the known values";

  base::Status not_ours = check_quantization_flag(&awq, "bitsandbytes");
  EXPECT_EQ(not_ours.code(), base::StatusCode::kUnsupported);
  EXPECT_NE(not_ours.message().find("pass awq"), std::string::npos) << not_ours.message();

  const io::QuantizationConfig other = parse_config(R"({"quant_method": "bitsandbytes"})");
  EXPECT_EQ(check_quantization_flag(&other, "bitsandbytes").code(), base::StatusCode::kUnsupported);
}

}  // namespace
}  // namespace fovea::quant
