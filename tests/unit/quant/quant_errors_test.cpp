// Malformed quantized checkpoints: every error is a Status (never a crash) whose message names the tensor or the
// config field and says what is wrong.
#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "quant/linear_loader.h"
#include "quant_test_util.h"

namespace fovea::quant {
namespace {

using tensor::DType;
using testing::pack_columns;
using testing::parse_config;
using testing::SyntheticCheckpoint;

constexpr const char* kModule = "model.layers.0.self_attn.q_proj";
std::string name(const char* suffix) { return std::string(kModule) + "." + suffix; }

constexpr const char* kCtInt4 = R"({"quant_method": "compressed-tensors", "format": "pack-quantized",
    "ignore": ["lm_head", "re:model\\.visual\\..*"],
    "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int",
    "symmetric": SYM, "strategy": "group", "group_size": 32}}}})";

io::QuantizationConfig ct_config(bool symmetric) {
  std::string text = kCtInt4;
  text.replace(text.find("SYM"), 3, symmetric ? "true" : "false");
  return parse_config(text);
}

// A well-formed compressed-tensors int4 linear [16, 64]; tests then break one thing.
SyntheticCheckpoint ct_checkpoint(bool with_scale = true, bool with_shape = true) {
  SyntheticCheckpoint checkpoint;
  checkpoint.add_i32(name("weight_packed"), {16, 8}, pack_columns(std::vector<uint32_t>(16 * 64, 3), 16, 64, 4));
  if (with_scale) checkpoint.add_floats(name("weight_scale"), DType::kBF16, {16, 2}, std::vector<float>(32, 0.5f));
  if (with_shape) checkpoint.add<int64_t>(name("weight_shape"), DType::kI64, {2}, {16, 64});
  return checkpoint;
}

class ErrorsTest : public ::testing::Test {
 protected:
  base::Status load(const SyntheticCheckpoint& checkpoint, const io::QuantizationConfig* config,
                    const char* module = kModule) {
    return load_linear(checkpoint.lookup(), module, config, backend_).status();
  }
  backend::cpu::CpuBackend backend_{backend::cpu::CpuBackendOptions{1, true, {}}};
};

::testing::AssertionResult fails_with(const base::Status& status, base::StatusCode code, const std::string& needle) {
  if (status.ok()) return ::testing::AssertionFailure() << "loaded, expected an error mentioning " << needle;
  if (status.code() != code || status.message().find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "got " << status.to_string() << "; expected "
                                         << base::status_code_name(code) << " mentioning " << needle;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(ErrorsTest, WellFormedBaselineLoads) {
  const io::QuantizationConfig config = ct_config(true);
  EXPECT_TRUE(load(ct_checkpoint(), &config).ok());
}

TEST_F(ErrorsTest, MissingScalesOrShape) {
  const io::QuantizationConfig config = ct_config(true);
  EXPECT_TRUE(fails_with(load(ct_checkpoint(false), &config), base::StatusCode::kNotFound, name("weight_scale")));
  EXPECT_TRUE(fails_with(load(ct_checkpoint(true, false), &config), base::StatusCode::kNotFound, name("weight_shape")));
}

TEST_F(ErrorsTest, WrongShapes) {
  const io::QuantizationConfig config = ct_config(true);
  SyntheticCheckpoint bad_scale = ct_checkpoint(false);
  bad_scale.add_floats(name("weight_scale"), DType::kBF16, {16, 3}, std::vector<float>(48, 0.5f));
  EXPECT_TRUE(fails_with(load(bad_scale, &config), base::StatusCode::kDataLoss, "[16, 2]"));
  SyntheticCheckpoint bad_k = ct_checkpoint(true, false);
  bad_k.add<int64_t>(name("weight_shape"), DType::kI64, {2}, {16, 72});  // K not what the packed words hold
  EXPECT_TRUE(fails_with(load(bad_k, &config), base::StatusCode::kDataLoss, name("weight_packed")));
  SyntheticCheckpoint bad_dtype = ct_checkpoint(false);
  bad_dtype.add<int32_t>(name("weight_scale"), DType::kI32, {16, 2}, std::vector<int32_t>(32, 1));
  EXPECT_TRUE(fails_with(load(bad_dtype, &config), base::StatusCode::kDataLoss, "must be BF16 or F16 or F32"));
  SyntheticCheckpoint zero_k = ct_checkpoint(true, false);
  zero_k.add<int64_t>(name("weight_shape"), DType::kI64, {2}, {16, 0});
  EXPECT_TRUE(fails_with(load(zero_k, &config), base::StatusCode::kDataLoss, "must be positive"));
}

TEST_F(ErrorsTest, AsymmetricWithoutZeroPoints) {
  const io::QuantizationConfig config = ct_config(false);
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &config), base::StatusCode::kNotFound, name("weight_zero_point")));
}

TEST_F(ErrorsTest, BadGroupSizeAndBits) {
  io::QuantizationConfig config = ct_config(true);
  config.groups[0].group_size = -1;  // group strategy without a group size
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &config), base::StatusCode::kDataLoss, "group_size -1"));
  config = ct_config(true);
  config.groups[0].num_bits = 3;
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &config), base::StatusCode::kUnsupported, "int3"));
  config = ct_config(true);
  config.groups[0].group_size = 48;  // 64 columns are 2 groups of 48 (the last partial): scales would be [16, 2]
  EXPECT_TRUE(load(ct_checkpoint(), &config).ok()) << "a partial last group is readable";
  config.groups[0].group_size = 20;
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &config), base::StatusCode::kDataLoss, "group_size 20"));
}

TEST_F(ErrorsTest, ActOrderProblems) {
  io::QuantizationConfig config = ct_config(true);
  config.groups[0].actorder = "group";
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &config), base::StatusCode::kNotFound, name("weight_g_idx")));
  SyntheticCheckpoint out_of_range = ct_checkpoint();
  std::vector<int32_t> g_idx(64, 0);
  g_idx[5] = 2;
  out_of_range.add<int32_t>(name("weight_g_idx"), DType::kI32, {64}, g_idx);
  EXPECT_TRUE(fails_with(load(out_of_range, &config), base::StatusCode::kDataLoss, "group 2"));
  SyntheticCheckpoint unequal = ct_checkpoint();
  unequal.add<int32_t>(name("weight_g_idx"), DType::kI32, {64}, std::vector<int32_t>(64, 1));
  EXPECT_TRUE(fails_with(load(unequal, &config), base::StatusCode::kUnsupported, "equal groups"));
}

TEST_F(ErrorsTest, FormatContradictsConfig) {
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), nullptr), base::StatusCode::kDataLoss, "no quantization_config"));
  const io::QuantizationConfig awq = parse_config(R"({"quant_method": "awq", "bits": 4, "group_size": 32})");
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &awq), base::StatusCode::kDataLoss, "quant_method \"awq\""));
  const io::QuantizationConfig ignoring = parse_config(R"({"quant_method": "compressed-tensors",
      "ignore": ["re:.*q_proj$"], "config_groups": {"group_0": {"targets": ["Linear"],
      "weights": {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 32}}}})");
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), &ignoring), base::StatusCode::kDataLoss, "ignore list"));
  SyntheticCheckpoint gptq;
  gptq.add_i32(name("qweight"), {8, 16}, std::vector<uint32_t>(128, 0));
  gptq.add<int32_t>(name("g_idx"), DType::kI32, {64}, std::vector<int32_t>(64, 0));
  const io::QuantizationConfig ct = ct_config(true);
  EXPECT_TRUE(fails_with(load(gptq, &ct), base::StatusCode::kDataLoss, "stored as gptq"));
}

TEST_F(ErrorsTest, AwqAndGptqProblems) {
  SyntheticCheckpoint awq;
  awq.add_i32(name("qweight"), {64, 2}, std::vector<uint32_t>(128, 0));
  awq.add_floats(name("scales"), DType::kF16, {2, 16}, std::vector<float>(32, 0.5f));
  const io::QuantizationConfig awq_config =
      parse_config(R"({"quant_method": "awq", "bits": 4, "group_size": 32, "zero_point": true, "version": "gemm"})");
  EXPECT_TRUE(fails_with(load(awq, &awq_config), base::StatusCode::kNotFound, name("qzeros")));
  const io::QuantizationConfig awq_gemv =
      parse_config(R"({"quant_method": "awq", "bits": 4, "group_size": 32, "version": "gemv"})");
  EXPECT_TRUE(fails_with(load(awq, &awq_gemv), base::StatusCode::kUnsupported, "gemv"));
  const io::QuantizationConfig gptq3 = parse_config(R"({"bits": 3, "group_size": 32})", true);
  EXPECT_TRUE(fails_with(load(awq, &gptq3), base::StatusCode::kUnsupported, "3 bits"));
  const io::QuantizationConfig gptq4 = parse_config(R"({"bits": 4, "group_size": 32})", true);
  EXPECT_TRUE(fails_with(load(awq, &gptq4), base::StatusCode::kDataLoss, name("scales")));
}

TEST_F(ErrorsTest, Fp8WithoutScalesAndOddDtypes) {
  SyntheticCheckpoint fp8;
  fp8.add(name("weight"), DType::kF8E4M3, {4, 4}, std::vector<uint8_t>(16, 0x38));
  EXPECT_TRUE(fails_with(load(fp8, nullptr), base::StatusCode::kDataLoss, "without its scales"));
  SyntheticCheckpoint int8;
  int8.add(name("weight"), DType::kI8, {4, 4}, std::vector<int8_t>(16, 1));
  EXPECT_TRUE(fails_with(load(int8, nullptr), base::StatusCode::kUnsupported, "I8"));
  SyntheticCheckpoint block;
  block.add(name("weight"), DType::kF8E4M3, {4, 4}, std::vector<uint8_t>(16, 0x38));
  block.add_floats(name("weight_scale_inv"), DType::kF32, {2, 2}, std::vector<float>(4, 1.0f));
  const io::QuantizationConfig fp8_config = parse_config(R"({"quant_method": "fp8", "weight_block_size": [128, 128]})");
  EXPECT_TRUE(fails_with(load(block, &fp8_config), base::StatusCode::kDataLoss, "[1, 1]"));
}

TEST_F(ErrorsTest, MissingModule) {
  EXPECT_TRUE(fails_with(load(ct_checkpoint(), nullptr, "model.layers.1.mlp.up_proj"), base::StatusCode::kNotFound,
                         "model.layers.1.mlp.up_proj"));
}

}  // namespace
}  // namespace fovea::quant
