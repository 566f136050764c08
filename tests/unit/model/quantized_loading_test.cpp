// Quantized checkpoints through Model::load: the producers' tiny checkpoints of tests/golden/quant load with their
// Linears in the repacked formats and the rest dense; copies of them edited into temporary folders (missing
// scales, wrong shapes, bad group sizes, a config that contradicts the tensors) fail with errors that name the
// tensor or field; the --quantization flag is checked against the checkpoint; dummy weights ignore the format.
#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "model/text_weights.h"
#include "model/weight_loader.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

using testing::RawTensor;
using testing::TempDir;

ModelOptions small_options() {
  ModelOptions options;
  options.activation_dtype = tensor::DType::kF32;
  options.text_limits = {16, 1, 4};
  options.max_vision_patches = 64;
  return options;
}

base::Result<std::unique_ptr<Model>> load(const std::string& dir, const std::string& quantization = "") {
  backend::cpu::CpuBackend backend;
  ModelOptions options = small_options();
  options.quantization = quantization;
  return Model::load(dir, backend, options);
}

// Expects loading `dir` to fail with `code` and every part in the message.
void expect_load_error(const std::string& dir, std::initializer_list<std::string> parts, base::StatusCode code,
                       const std::string& quantization = "") {
  auto model = load(dir, quantization);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), code) << model.status().to_string();
  for (const std::string& part : parts) {
    EXPECT_NE(model.status().message().find(part), std::string::npos)
        << "message: " << model.status().message() << "\nmissing: " << part;
  }
}

// A copy of quant golden checkpoint `name` with its tensors and config.json edited.
void write_edited(const TempDir& dir, const std::string& name, const std::function<bool(RawTensor&)>& edit_tensor,
                  const std::function<void(nlohmann::json&)>& edit_config = nullptr) {
  const std::string checkpoint = "quant/" + name;
  testing::write_model_folder(dir, checkpoint, testing::checkpoint_tensors(checkpoint, edit_tensor), edit_config);
}

bool keep(RawTensor&) { return true; }

const char* const kDownProj = "model.layers.0.mlp.down_proj";  // [64, 128] in the qwen3-tiny based checkpoints

TEST(QuantizedLoadingTest, EveryGoldenFormatLoads) {
  for (const char* name : {"awq-gemm", "ct-fp8-block", "ct-fp8-dynamic", "ct-w4a16-asym-awq", "ct-w4a16-gptq",
                           "ct-w4a16-sym", "ct-w8a16", "fp8-block", "gptq-int4-desc-act", "gptq-int8-asym"}) {
    auto model = load(testing::checkpoint_dir(std::string("quant/") + name));
    ASSERT_TRUE(model.ok()) << name << ": " << model.status().to_string();
    EXPECT_GT((*model)->weight_bytes(), 0u) << name;
  }
}

TEST(QuantizedLoadingTest, DecoderLinearsAreQuantizedTheRestDense) {
  const std::string dir = testing::checkpoint_dir("quant/ct-w4a16-sym");
  backend::cpu::CpuBackend backend;
  auto config = io::load_model_config(dir);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  auto table = io::WeightTable::open(dir);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  WeightLoader loader = WeightLoader::from_checkpoint(backend, *table, &*config->quantization_config, dir);
  auto text = load_text_weights(loader, *config);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  for (const DecoderLayerWeights& layer : text->layers) {
    for (const backend::Weight* weight : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj, &layer.gate_proj,
                                          &layer.up_proj, &layer.down_proj}) {
      EXPECT_EQ(weight->format, backend::WeightFormat::kInt4);
      EXPECT_EQ(weight->quant.group_size, 32);
    }
  }
  EXPECT_EQ(text->layers[0].down_proj.out_features(), config->text_config.hidden_size);
  EXPECT_EQ(text->layers[0].down_proj.in_features(), config->text_config.intermediate_size);
  EXPECT_EQ(text->embed_tokens.dtype, tensor::DType::kBF16);
  auto vision = load_vision_weights(loader, *config->vision_config);
  ASSERT_TRUE(vision.ok()) << vision.status().to_string();
  EXPECT_EQ(vision->blocks[0].qkv.format, backend::WeightFormat::kDense);
  EXPECT_EQ(vision->blocks[0].qkv.values.dtype, tensor::DType::kBF16);
  // The packed codes are used in place from the mapping; scales (f32) are the only copies.
  EXPECT_GT(loader.allocated_bytes(), 0u);
  EXPECT_LT(loader.allocated_bytes(), loader.weight_bytes() / 2);
}

TEST(QuantizedLoadingTest, MissingScalesAreNamed) {
  TempDir dir;
  write_edited(dir, "ct-w4a16-sym",
               [](RawTensor& t) { return t.name != "model.language_model.layers.1.self_attn.k_proj.weight_scale"; });
  expect_load_error(dir.path(), {dir.path(), "model.language_model.layers.1.self_attn.k_proj.weight_scale"},
                    base::StatusCode::kNotFound);
}

TEST(QuantizedLoadingTest, MissingFp8BlockScalesAreNamed) {
  TempDir dir;
  write_edited(dir, "fp8-block", [](RawTensor& t) { return t.name != std::string(kDownProj) + ".weight_scale_inv"; });
  expect_load_error(dir.path(), {std::string(kDownProj) + ".weight", "F8_E4M3", "scale"}, base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, MissingAwqZeroPointsAreNamed) {
  TempDir dir;
  write_edited(dir, "awq-gemm", [](RawTensor& t) { return t.name != std::string(kDownProj) + ".qzeros"; });
  expect_load_error(dir.path(), {std::string(kDownProj) + ".qzeros"}, base::StatusCode::kNotFound);
}

TEST(QuantizedLoadingTest, WrongScaleShapeIsNamedWithTheExpectedShape) {
  TempDir dir;
  write_edited(dir, "awq-gemm", [](RawTensor& t) {
    if (t.name == std::string(kDownProj) + ".scales") {  // [4, 64] f16 -> [2, 64]
      t.shape = {2, 64};
      t.bytes.resize(2 * 64 * 2);
    }
    return true;
  });
  expect_load_error(dir.path(), {std::string(kDownProj) + ".scales", "[2, 64]", "[4, 64]"},
                    base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, WrongGptqIndexLengthIsNamed) {
  TempDir dir;
  write_edited(dir, "gptq-int4-desc-act", [](RawTensor& t) {
    if (t.name == std::string(kDownProj) + ".g_idx") {  // [128] -> [96]
      t.shape = {96};
      t.bytes.resize(96 * 4);
    }
    return true;
  });
  expect_load_error(dir.path(), {std::string(kDownProj) + ".g_idx", "[96]"}, base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, GroupSizeThatDoesNotFitTheScalesIsAnError) {
  TempDir dir;
  write_edited(dir, "ct-w4a16-sym", keep, [](nlohmann::json& config) {
    config["quantization_config"]["config_groups"]["group_0"]["weights"]["group_size"] = 64;
  });
  expect_load_error(dir.path(), {"weight_scale", "group_size 64"}, base::StatusCode::kDataLoss);
}

// io's config parser refuses these before any tensor is read.
TEST(QuantizedLoadingTest, NonPositiveGroupSizeIsAnError) {
  {
    TempDir dir;
    write_edited(dir, "ct-w8a16", keep, [](nlohmann::json& config) {
      auto& weights = config["quantization_config"]["config_groups"]["group_0"]["weights"];
      weights["strategy"] = "group";
      weights["group_size"] = 0;
    });
    expect_load_error(dir.path(), {"config.json", "group_0.weights.group_size", "is 0"},
                      base::StatusCode::kInvalidArgument);
  }
  {
    TempDir dir;
    write_edited(dir, "gptq-int8-asym", keep,
                 [](nlohmann::json& config) { config["quantization_config"]["group_size"] = -7; });
    expect_load_error(dir.path(), {"config.json", "group_size", "is -7"}, base::StatusCode::kInvalidArgument);
  }
}

TEST(QuantizedLoadingTest, PackedShapeThatContradictsConfigIsAnError) {
  TempDir dir;
  write_edited(dir, "ct-w8a16", keep, [](nlohmann::json& config) { config["intermediate_size"] = 96; });
  expect_load_error(dir.path(), {"model.layers.0.mlp.gate_proj", "[128, 64]", "[96, 64]", "config.json"},
                    base::StatusCode::kInvalidArgument);
}

TEST(QuantizedLoadingTest, WrongWeightShapeTensorIsAnError) {
  TempDir dir;
  write_edited(dir, "ct-w4a16-gptq", [](RawTensor& t) {
    if (t.name == std::string(kDownProj) + ".weight_shape") {  // (64, 128) -> (64, 100)
      const int64_t wrong = 100;
      std::memcpy(t.bytes.data() + 8, &wrong, sizeof(wrong));
    }
    return true;
  });
  expect_load_error(dir.path(), {std::string(kDownProj) + ".weight_packed", "weight_shape [64, 100]"},
                    base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, QuantizedTensorsWithoutQuantizationConfigAreAnError) {
  TempDir dir;
  write_edited(dir, "gptq-int8-asym", keep, [](nlohmann::json& config) { config.erase("quantization_config"); });
  expect_load_error(dir.path(), {"qweight", "quantization_config"}, base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, ConfigOfAnotherMethodIsAnError) {
  TempDir dir;
  write_edited(dir, "ct-fp8-dynamic", keep, [](nlohmann::json& config) {
    config["quantization_config"] = {{"quant_method", "fp8"}, {"fmt", "e4m3"}, {"weight_block_size", {128, 128}}};
  });
  expect_load_error(dir.path(), {"compressed-tensors", "\"fp8\""}, base::StatusCode::kDataLoss);
}

TEST(QuantizedLoadingTest, MethodFoveaDoesNotLoadIsNamed) {
  TempDir dir;
  write_edited(dir, "ct-w8a16", keep, [](nlohmann::json& config) {
    config["quantization_config"] = {{"quant_method", "bitsandbytes"}, {"load_in_4bit", true}};
  });
  expect_load_error(dir.path(), {"config.json", "\"bitsandbytes\"", "compressed-tensors"},
                    base::StatusCode::kUnsupported);
}

TEST(QuantizedLoadingTest, QuantizationFlagIsCheckedAgainstTheCheckpoint) {
  const std::string awq = testing::checkpoint_dir("quant/awq-gemm");
  EXPECT_TRUE(load(awq, "awq").ok());
  EXPECT_TRUE(load(awq, "awq_marlin").ok());
  expect_load_error(awq, {"awq", "--quantization"}, base::StatusCode::kInvalidArgument, "gptq");
  expect_load_error(testing::checkpoint_dir("quant/ct-w8a16"), {"compressed-tensors"},
                    base::StatusCode::kInvalidArgument, "fp8");
  // An unquantized checkpoint is quantized at load time only to fp8 (vLLM's online FP8); other methods are refused.
  expect_load_error(testing::checkpoint_dir("qwen3-tiny"), {"--quantization awq", "only for fp8"},
                    base::StatusCode::kUnsupported, "awq");
}

TEST(QuantizedLoadingTest, OnlineFp8QuantizesTheLinearsOfAnUnquantizedCheckpoint) {
  const std::string tiny = testing::checkpoint_dir("qwen3-tiny");
  backend::cpu::CpuBackend backend;
  ModelOptions options = small_options();
  auto dense = Model::load(tiny, backend, options);
  ASSERT_TRUE(dense.ok()) << dense.status().to_string();
  options.quantization = "fp8";
  auto fp8 = Model::load(tiny, backend, options);
  ASSERT_TRUE(fp8.ok()) << fp8.status().to_string();
  // bf16 Linears (2 bytes an element) become fp8 codes (1 byte) with one scale each; norms and embeddings stay.
  EXPECT_LT((*fp8)->weight_bytes(), (*dense)->weight_bytes());
  EXPECT_GT((*fp8)->weight_bytes(), (*dense)->weight_bytes() / 2);
}

TEST(QuantizedLoadingTest, DummyWeightsForAQuantizedConfigAreDense) {
  TempDir dir;
  testing::write_model_folder(dir, "quant/ct-w4a16-sym", {});  // config.json only
  backend::cpu::CpuBackend backend;
  ModelOptions options = small_options();
  options.load_format = LoadFormat::kDummy;
  auto model = Model::load(dir.path(), backend, options);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_GT((*model)->weight_bytes(), 0u);
}

}  // namespace
}  // namespace fovea::model
