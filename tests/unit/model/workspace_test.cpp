// Workspace and KV-cache sizing: the byte counts the planner predicts are what gets allocated, they scale with the
// limits, and steps or caches outside the limits are errors rather than overruns.
#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "model/text_workspace.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

io::ModelConfig tiny_config(const std::string& name) {
  auto config = io::load_model_config(testing::checkpoint_dir(name));
  EXPECT_TRUE(config.ok());
  return *config;
}

TEST(WorkspaceTest, TextWorkspaceBytesFollowTheLayout) {
  const io::TextConfig text = tiny_config("qwen3-vl-tiny").text_config;  // H 64, 4 x 16 heads, 2 kv, I 96, V 1024
  for (tensor::DType act : {tensor::DType::kF32, tensor::DType::kBF16}) {
    const int64_t act_bytes = tensor::dtype_size_bytes(act);
    auto small = text_workspace_bytes(text, act, {1024, 8, 16});
    auto large = text_workspace_bytes(text, act, {2048, 8, 16});
    ASSERT_TRUE(small.ok() && large.ok());
    // Per token: ids, 3 positions, slot (i32); hidden, normed, qkv, attn, gate, up (act); cos, sin (f32).
    const int64_t per_token = 4 * 5 + act_bytes * (64 + 64 + (4 + 2 * 2) * 16 + 4 * 16 + 2 * 96) + 4 * 2 * 16;
    EXPECT_EQ(static_cast<int64_t>(*large - *small), 1024 * per_token);
    // Per sequence: logits f32 (and act) rows dominate.
    auto more_seqs = text_workspace_bytes(text, act, {1024, 16, 16});
    ASSERT_TRUE(more_seqs.ok());
    const int64_t per_seq_lower = 8 * (1024 * (4 + (act == tensor::DType::kF32 ? 0 : act_bytes)));
    EXPECT_GE(static_cast<int64_t>(*more_seqs - *small), per_seq_lower);
    EXPECT_LE(static_cast<int64_t>(*more_seqs - *small), per_seq_lower + 8 * (4 * 3 + 16 * 4 + act_bytes * 64) + 4096);
  }
}

TEST(WorkspaceTest, LimitsOutsideTheRangeAreErrors) {
  const io::TextConfig text = tiny_config("qwen3-tiny").text_config;
  EXPECT_FALSE(text_workspace_bytes(text, tensor::DType::kF32, {0, 8, 16}).ok());
  EXPECT_FALSE(text_workspace_bytes(text, tensor::DType::kF32, {8, 0, 16}).ok());
  EXPECT_FALSE(text_workspace_bytes(text, tensor::DType::kF32, {8, 8, 0}).ok());
  EXPECT_FALSE(text_workspace_bytes(text, tensor::DType::kF32, {int64_t{1} << 40, 8, 16}).ok());
  const io::VisionConfig vision = *tiny_config("qwen3-vl-tiny").vision_config;
  EXPECT_FALSE(vision_workspace_bytes(vision, tensor::DType::kF32, 0).ok());
  EXPECT_TRUE(vision_workspace_bytes(vision, tensor::DType::kF32, 64).ok());
}

TEST(WorkspaceTest, ModelAllocatesWhatItPredicts) {
  backend::cpu::CpuBackend backend;
  ModelOptions options;
  options.activation_dtype = tensor::DType::kBF16;
  options.text_limits = {96, 3, 10};
  options.max_vision_patches = 200;
  auto model = Model::load(testing::checkpoint_dir("qwen3-vl-tiny"), backend, options);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const io::ModelConfig& config = (*model)->config();
  auto text_bytes = text_workspace_bytes(config.text_config, options.activation_dtype, options.text_limits);
  auto vision_bytes = vision_workspace_bytes(*config.vision_config, options.activation_dtype, 200);
  ASSERT_TRUE(text_bytes.ok() && vision_bytes.ok());
  EXPECT_EQ((*model)->decoder().workspace_bytes(), *text_bytes);
  EXPECT_EQ((*model)->vision_encoder()->workspace_bytes(), *vision_bytes);
  EXPECT_EQ((*model)->workspace_bytes(), *text_bytes + *vision_bytes);
}

TEST(WorkspaceTest, KvCacheSizesAndErrors) {
  backend::cpu::CpuBackend backend;
  const io::TextConfig text = tiny_config("qwen3-vl-tiny").text_config;  // 3 layers, 2 kv heads of 16
  EXPECT_EQ(kv_cache_bytes_per_block(text, 16, tensor::DType::kBF16), 3u * 2 * 16 * 2 * 16 * 2);
  EXPECT_EQ(kv_cache_bytes_per_block(text, 16, tensor::DType::kF8E4M3), 3u * 2 * 16 * 2 * 16);
  auto cache = allocate_kv_cache(backend, text, 5, 16, tensor::DType::kBF16);
  ASSERT_TRUE(cache.ok()) << cache.status().to_string();
  ASSERT_EQ(cache->layers.size(), 3u);
  EXPECT_EQ(cache->layers[0].k.shape, (tensor::Shape{5, 16, 2, 16}));
  EXPECT_EQ(cache->layers[2].v.dtype, tensor::DType::kBF16);
  uint64_t total = 0;
  for (const auto& buffer : cache->buffers) total += buffer->size_bytes();
  EXPECT_GE(total, 5 * kv_cache_bytes_per_block(text, 16, tensor::DType::kBF16));
  EXPECT_LE(total, 5 * kv_cache_bytes_per_block(text, 16, tensor::DType::kBF16) + 3 * 2 * ArenaCarver::kAlignmentBytes);
  EXPECT_FALSE(allocate_kv_cache(backend, text, 0, 16, tensor::DType::kBF16).ok());
  EXPECT_FALSE(allocate_kv_cache(backend, text, 4, 0, tensor::DType::kBF16).ok());
  auto bad_dtype = allocate_kv_cache(backend, text, 4, 16, tensor::DType::kI32);
  ASSERT_FALSE(bad_dtype.ok());
  EXPECT_NE(bad_dtype.status().message().find("KV cache dtype"), std::string::npos);
}

class StepErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelOptions options;
    options.activation_dtype = tensor::DType::kF32;
    options.text_limits = {4, 2, 2};
    options.max_vision_patches = 0;
    auto loaded = Model::load(testing::checkpoint_dir("qwen3-tiny"), backend_, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    model_ = std::move(loaded).value();
    auto cache = model_->allocate_kv_cache(2, 4, tensor::DType::kF32);
    ASSERT_TRUE(cache.ok());
    cache_ = std::move(cache).value();
    step_.token_ids = ids_;
    step_.positions = positions_;
    step_.slot_mapping = slots_;
    step_.query_start_loc = query_start_loc_;
    step_.seq_lens = seq_lens_;
    step_.block_tables = blocks_;
    step_.blocks_per_seq = 2;
    step_.max_query_len = 3;
    step_.max_seq_len = 3;
    step_.logits_rows = logits_rows_;
  }

  void expect_error(const DecoderStep& step, const std::string& part) {
    auto logits = model_->decoder().forward(step, cache_);
    ASSERT_FALSE(logits.ok()) << part;
    EXPECT_NE(logits.status().message().find(part), std::string::npos) << logits.status().message();
  }

  backend::cpu::CpuBackend backend_;
  std::unique_ptr<Model> model_;
  KvCache cache_;
  std::vector<int32_t> ids_ = {1, 2, 3};
  std::vector<int32_t> positions_ = {0, 1, 2};
  std::vector<int32_t> slots_ = {0, 1, 2};
  std::vector<int32_t> query_start_loc_ = {0, 3};
  std::vector<int32_t> seq_lens_ = {3};
  std::vector<int32_t> blocks_ = {0, 1};
  std::vector<int32_t> logits_rows_ = {2};
  DecoderStep step_;
};

TEST_F(StepErrorTest, AValidStepRuns) { EXPECT_TRUE(model_->decoder().forward(step_, cache_).ok()); }

TEST_F(StepErrorTest, TooManyTokens) {
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5};
  DecoderStep step = step_;
  step.token_ids = ids;
  expect_error(step, "max_num_batched_tokens = 4");
}

TEST_F(StepErrorTest, InconsistentSpans) {
  DecoderStep step = step_;
  step.positions = std::span<const int32_t>(positions_).first(2);
  expect_error(step, "positions has 2 entries");
  step = step_;
  step.block_tables = std::span<const int32_t>(blocks_).first(1);
  expect_error(step, "block_tables has 1 entries");
  step = step_;
  const std::vector<int32_t> bad_row = {3};
  step.logits_rows = bad_row;
  expect_error(step, "logits row 3");
  step = step_;
  step.blocks_per_seq = 3;
  expect_error(step, "max_blocks_per_seq = 2");
}

TEST_F(StepErrorTest, ValuesTheBackendRejects) {
  DecoderStep step = step_;
  const std::vector<int32_t> slots = {0, 1, 99};  // outside the 8-slot cache
  step.slot_mapping = slots;
  EXPECT_FALSE(model_->decoder().forward(step, cache_).ok());
  step = step_;
  const std::vector<int32_t> ids = {1, 2, 5000};  // outside the vocabulary
  step.token_ids = ids;
  EXPECT_FALSE(model_->decoder().forward(step, cache_).ok());
}

TEST_F(StepErrorTest, CacheOfAnotherModel) {
  auto other = allocate_kv_cache(backend_, tiny_config("qwen3-vl-tiny").text_config, 2, 4, tensor::DType::kF32);
  ASSERT_TRUE(other.ok());
  auto logits = model_->decoder().forward(step_, *other);
  ASSERT_FALSE(logits.ok());
  EXPECT_NE(logits.status().message().find("3 layers; the model has 2"), std::string::npos)
      << logits.status().message();
}

}  // namespace
}  // namespace fovea::model
