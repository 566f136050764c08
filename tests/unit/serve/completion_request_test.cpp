// Valid /v1/completions bodies: prompt forms, defaults, logprobs.
// Expected values follow OpenAI's legacy completions schema and vLLM 0.33's defaults.
#include "serve/completion_request.h"

#include <gtest/gtest.h>

namespace fovea::serve {
namespace {

TEST(CompletionRequestTest, TextPromptAndDefaults) {
  auto request = parse_completion_request(R"({"model": "m", "prompt": "Once upon"})", {});
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->prompts.size(), 1u);
  EXPECT_FALSE(request->prompts[0].is_token_ids);
  EXPECT_EQ(request->prompts[0].text, "Once upon");
  EXPECT_EQ(request->sampling.max_tokens, 16);  // OpenAI's and vLLM's default
  EXPECT_TRUE(request->add_special_tokens);
  EXPECT_FALSE(request->sampling.num_logprobs.has_value());
}

TEST(CompletionRequestTest, TokenPromptsLogprobsEcho) {
  auto request = parse_completion_request(
      R"({"prompt": [1, 2, 3], "logprobs": 3, "echo": true, "max_tokens": 0, "suffix": null, "stream": true,
          "stream_options": {"include_usage": true, "continuous_usage_stats": true}})",
      {});
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->prompts.size(), 1u);
  EXPECT_TRUE(request->prompts[0].is_token_ids);
  EXPECT_EQ(request->prompts[0].token_ids, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(request->sampling.num_logprobs, 3);
  EXPECT_EQ(request->sampling.max_tokens, 0);
  EXPECT_TRUE(request->echo);
  EXPECT_TRUE(request->continuous_usage_stats);
}

TEST(CompletionRequestTest, SeveralPromptsUpToTheLimit) {
  RequestLimits limits;
  limits.max_prompts_per_request = 4;
  auto request = parse_completion_request(R"({"prompt": ["a", [5, 6], "c"]})", limits);
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->prompts.size(), 3u);
  EXPECT_TRUE(request->prompts[1].is_token_ids);
  auto one_string_in_list = parse_completion_request(R"({"prompt": ["only"]})", {});
  ASSERT_TRUE(one_string_in_list.ok());
}

}  // namespace
}  // namespace fovea::serve
