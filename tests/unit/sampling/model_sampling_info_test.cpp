// bind_to_model: EOS ids as vLLM's update_from_generation_config, max_tokens against the context, logit_bias ids.
#include "engine/sampling/model_sampling_info.h"

#include <gtest/gtest.h>

namespace fovea::engine {
namespace {

ModelSamplingInfo qwen3_like() {
  ModelSamplingInfo info;
  info.eos_token_id = 151645;                        // <|im_end|>
  info.generation_eos_token_ids = {151645, 151643};  // <|im_end|>, <|endoftext|>
  info.max_model_len = 4096;
  info.vocab_size = 151936;
  return info;
}

TEST(BindToModel, EosIdsFollowVllm) {
  SamplingParams params;
  params.stop_token_ids = {7};
  ASSERT_TRUE(bind_to_model(params, qwen3_like(), 10).ok());
  EXPECT_EQ(params.eos_token_id, 151645);
  EXPECT_EQ(params.stop_token_ids, (std::vector<int32_t>{151643, 7}));
  EXPECT_EQ(params.finishing_token_ids(), (std::vector<int32_t>{151645, 151643, 7}));
  EXPECT_EQ(params.all_stop_token_ids, (std::vector<int32_t>{7, 151645, 151643}));
  EXPECT_EQ(params.stop_reason_for_token(151645), std::nullopt);
  EXPECT_EQ(params.stop_reason_for_token(151643), 151643);
  EXPECT_EQ(params.max_tokens, 4086);
}

TEST(BindToModel, IgnoreEosKeepsEosOnlyForMinTokens) {
  SamplingParams params;
  params.ignore_eos = true;
  ASSERT_TRUE(bind_to_model(params, qwen3_like(), 10).ok());
  EXPECT_FALSE(params.eos_token_id.has_value());
  EXPECT_TRUE(params.stop_token_ids.empty());
  EXPECT_EQ(params.all_stop_token_ids, (std::vector<int32_t>{151645, 151643}));
}

TEST(BindToModel, MaxTokensAgainstTheContext) {
  SamplingParams params;
  params.max_tokens = 5000;
  ASSERT_TRUE(bind_to_model(params, qwen3_like(), 10).ok());  // from the generation config: capped
  EXPECT_EQ(params.max_tokens, 4086);
  params = {};
  params.max_tokens = 5000;
  params.max_tokens_requested = true;
  auto status = bind_to_model(params, qwen3_like(), 10);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("too large"), std::string::npos);
  params = {};
  EXPECT_FALSE(bind_to_model(params, qwen3_like(), 4096).ok());
}

TEST(BindToModel, LogitBiasIdsMustBeInTheVocabulary) {
  SamplingParams params;
  params.logit_bias = {{151936, 1.0f}};
  EXPECT_FALSE(bind_to_model(params, qwen3_like(), 1).ok());
}

TEST(BindToModel, FillsTheRequestLimits) {
  SamplingParams params;
  params.n = 2;
  params.min_tokens = 3;
  params.temperature = 0.5;
  ASSERT_TRUE(bind_to_model(params, qwen3_like(), 96).ok());
  Request request;
  fill_request_limits(params, request);
  EXPECT_EQ(request.max_tokens, 4000);
  EXPECT_EQ(request.min_tokens, 3);
  EXPECT_EQ(request.n, 2);
  EXPECT_EQ(request.stop_token_ids, (std::vector<int32_t>{151645, 151643}));
}

}  // namespace
}  // namespace fovea::engine
