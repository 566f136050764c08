// Weight loading: tensors checked against config.json with errors that name them, tied lm_head, misaligned data,
// dummy weights.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "model/text_weights.h"
#include "model/weight_loader.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

using testing::RawTensor;
using testing::TempDir;

ModelOptions small_options(tensor::DType act = tensor::DType::kF32) {
  ModelOptions options;
  options.activation_dtype = act;
  options.text_limits = {32, 2, 8};
  options.max_vision_patches = 64;
  return options;
}

// Loads a folder; expects failure with every part in the message.
void expect_load_error(const std::string& dir, std::initializer_list<std::string> parts, base::StatusCode code) {
  backend::cpu::CpuBackend backend;
  auto model = Model::load(dir, backend, small_options());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), code) << model.status().to_string();
  for (const std::string& part : parts) {
    EXPECT_NE(model.status().message().find(part), std::string::npos)
        << "message: " << model.status().message() << "\nmissing: " << part;
  }
}

TEST(WeightLoadingTest, GoldenCheckpointsLoad) {
  for (const char* name : {"qwen3-tiny", "qwen3-vl-tiny", "qwen3-vl-tiny-untied-legacy"}) {
    backend::cpu::CpuBackend backend;
    auto model = Model::load(testing::checkpoint_dir(name), backend, small_options());
    ASSERT_TRUE(model.ok()) << name << ": " << model.status().to_string();
    EXPECT_GT((*model)->weight_bytes(), 0u);
    EXPECT_EQ((*model)->vision_encoder() != nullptr, (*model)->config().has_vision()) << name;
  }
}

TEST(WeightLoadingTest, MissingTensorIsNamed) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-tiny", testing::checkpoint_tensors("qwen3-tiny", [](RawTensor& t) {
                                return t.name != "model.layers.1.mlp.up_proj.weight";
                              }));
  expect_load_error(dir.path(), {"model.layers.1.mlp.up_proj.weight", "[128, 64]", "config.json"},
                    base::StatusCode::kNotFound);
}

TEST(WeightLoadingTest, WrongShapeIsNamedWithBothShapes) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-tiny", testing::checkpoint_tensors("qwen3-tiny", [](RawTensor& t) {
                                if (t.name == "model.layers.0.self_attn.k_norm.weight") {
                                  t.shape = {8};
                                  t.bytes.resize(16);
                                }
                                return true;
                              }));
  expect_load_error(dir.path(),
                    {"model.safetensors", "model.layers.0.self_attn.k_norm.weight", "[8]", "[16]", "config.json"},
                    base::StatusCode::kInvalidArgument);
}

TEST(WeightLoadingTest, ConfigThatDoesNotMatchTheWeights) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-tiny", testing::checkpoint_tensors("qwen3-tiny"),
                              [](nlohmann::json& config) { config["intermediate_size"] = 96; });
  expect_load_error(dir.path(), {"model.layers.0.mlp.gate_proj.weight", "[128, 64]", "[96, 64]"},
                    base::StatusCode::kInvalidArgument);
}

TEST(WeightLoadingTest, WrongDtypeIsNamed) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-tiny", testing::checkpoint_tensors("qwen3-tiny", [](RawTensor& t) {
                                if (t.name == "model.norm.weight") t.dtype = "I16";
                                return true;
                              }));
  expect_load_error(dir.path(), {"model.norm.weight", "I16", "bf16, f16 or f32"}, base::StatusCode::kUnsupported);
}

TEST(WeightLoadingTest, MissingVisionTensorIsNamed) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-vl-tiny", testing::checkpoint_tensors("qwen3-vl-tiny", [](RawTensor& t) {
                                return t.name != "model.visual.deepstack_merger_list.1.norm.bias";
                              }));
  expect_load_error(dir.path(), {"model.visual.deepstack_merger_list.1.norm.bias", "[128]"},
                    base::StatusCode::kNotFound);
}

TEST(WeightLoadingTest, UntiedModelNeedsLmHead) {
  TempDir dir;
  testing::write_model_folder(dir, "qwen3-vl-tiny-untied-legacy",
                              testing::checkpoint_tensors("qwen3-vl-tiny-untied-legacy",
                                                          [](RawTensor& t) { return t.name != "lm_head.weight"; }));
  expect_load_error(dir.path(), {"lm_head.weight", "[1024, 64]"}, base::StatusCode::kNotFound);
}

TEST(WeightLoadingTest, TiedLmHeadIsTheEmbeddingTable) {
  for (const char* name : {"qwen3-tiny", "qwen3-vl-tiny-untied-legacy"}) {
    backend::cpu::CpuBackend backend;
    auto config = io::load_model_config(testing::checkpoint_dir(name));
    ASSERT_TRUE(config.ok());
    auto table = io::WeightTable::open(testing::checkpoint_dir(name));
    ASSERT_TRUE(table.ok());
    WeightLoader loader = WeightLoader::from_checkpoint(backend, *table, nullptr, name);
    auto weights = load_text_weights(loader, *config);
    ASSERT_TRUE(weights.ok()) << weights.status().to_string();
    const bool tied = std::string(name) == "qwen3-tiny";
    EXPECT_EQ(weights->lm_head_tied, tied) << name;
    EXPECT_EQ(weights->lm_head.values.buffer == weights->embed_tokens.buffer, tied) << name;
    // CPU weights are views of the mapping: nothing was copied.
    EXPECT_EQ(loader.allocated_bytes(), 0u) << name;
    EXPECT_TRUE(weights->embed_tokens.buffer->read_only());
  }
}

TEST(WeightLoadingTest, MisalignedTensorsAreCopiedWithTheSameValues) {
  TempDir dir;
  const std::vector<RawTensor> tensors = testing::checkpoint_tensors("qwen3-tiny");
  testing::write_model_folder(dir, "qwen3-tiny", tensors, nullptr, true);  // every bf16 starts at an odd byte
  backend::cpu::CpuBackend backend;
  auto config = io::load_model_config(dir.path());
  ASSERT_TRUE(config.ok());
  auto table = io::WeightTable::open(dir.path());
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  WeightLoader loader = WeightLoader::from_checkpoint(backend, *table, nullptr, dir.path());
  auto weights = load_text_weights(loader, *config);
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  EXPECT_EQ(loader.allocated_bytes(), loader.weight_bytes());
  const backend::Tensor& norm = weights->norm;
  EXPECT_FALSE(norm.buffer->read_only());
  for (const RawTensor& t : tensors) {
    if (t.name != "model.norm.weight") continue;
    ASSERT_EQ(t.bytes.size(), static_cast<size_t>(norm.numel() * 2));
    EXPECT_EQ(std::memcmp(norm.host_bytes(), t.bytes.data(), t.bytes.size()), 0);
  }
}

// Runs one 3-token prefill of a dummy model and returns the logits of its last token.
std::vector<float> dummy_logits(const std::string& dir, uint64_t seed) {
  backend::cpu::CpuBackend backend;
  ModelOptions options = small_options();
  options.load_format = LoadFormat::kDummy;
  options.dummy_seed = seed;
  auto model = Model::load(dir, backend, options);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  if (!model.ok()) return {};
  auto cache = (*model)->allocate_kv_cache(1, 8, tensor::DType::kF32);
  EXPECT_TRUE(cache.ok());
  const std::vector<int32_t> ids = {5, 9, 2};
  const std::vector<int32_t> positions = {0, 1, 2, 0, 1, 2, 0, 1, 2};
  const std::vector<int32_t> slots = {0, 1, 2};
  const std::vector<int32_t> query_start_loc = {0, 3};
  const std::vector<int32_t> seq_lens = {3};
  const std::vector<int32_t> block_table = {0};
  const std::vector<int32_t> logits_rows = {2};
  DecoderStep step;
  step.token_ids = ids;
  step.positions = std::span<const int32_t>(positions).first((*model)->decoder().uses_mrope() ? 9 : 3);
  step.slot_mapping = slots;
  step.query_start_loc = query_start_loc;
  step.seq_lens = seq_lens;
  step.block_tables = block_table;
  step.blocks_per_seq = 1;
  step.max_query_len = 3;
  step.max_seq_len = 3;
  step.logits_rows = logits_rows;
  auto logits = (*model)->decoder().forward(step, *cache);
  EXPECT_TRUE(logits.ok()) << logits.status().to_string();
  if (!logits.ok()) return {};
  std::vector<float> host(static_cast<size_t>(logits->numel()));
  EXPECT_TRUE(backend.copy_to_host(backend.default_stream(), *logits, host.data()).ok());
  return host;
}

TEST(WeightLoadingTest, DummyWeightsNeedNoCheckpointAndFollowTheSeed) {
  for (const char* name : {"qwen3-tiny", "qwen3-vl-tiny"}) {
    TempDir dir;
    testing::write_model_folder(dir, name, {});  // config.json only
    const std::vector<float> first = dummy_logits(dir.path(), 7);
    const std::vector<float> again = dummy_logits(dir.path(), 7);
    const std::vector<float> other = dummy_logits(dir.path(), 8);
    ASSERT_EQ(first.size(), 1024u) << name;
    EXPECT_EQ(first, again) << name;
    EXPECT_NE(first, other) << name;
    for (float value : first) ASSERT_TRUE(std::isfinite(value)) << name;
  }
}

}  // namespace
}  // namespace fovea::model
