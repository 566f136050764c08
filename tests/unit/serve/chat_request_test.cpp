// Valid /v1/chat/completions bodies: what the typed request holds afterwards.
// Expected values follow OpenAI's request schema and vLLM 0.33's defaults; bad requests are in bad_request_test.
#include <gtest/gtest.h>

#include "serve/chat_completion_request.h"
#include "serve/tokenize_request.h"

namespace fovea::serve {
namespace {

RequestLimits limits_with_tools() {
  RequestLimits limits;
  limits.enable_auto_tool_choice = true;
  limits.mm_limits.num_images = 3;
  return limits;
}

TEST(ChatRequestTest, MinimalRequest) {
  auto request = parse_chat_completion_request(R"({"messages": [{"role": "user", "content": "hi"}]})", {});
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->messages.size(), 1u);
  EXPECT_EQ(request->messages[0].role, ChatRole::kUser);
  EXPECT_EQ(request->messages[0].content_form, ContentForm::kString);
  EXPECT_EQ(request->messages[0].content, "hi");
  EXPECT_EQ(request->model, "");
  EXPECT_FALSE(request->stream);
  EXPECT_EQ(request->sampling.n, 1);
  EXPECT_FALSE(request->sampling.max_tokens.has_value());
  EXPECT_FALSE(request->sampling.temperature.has_value());
  EXPECT_FALSE(request->sampling.num_logprobs.has_value());
  EXPECT_TRUE(request->add_generation_prompt);
  EXPECT_TRUE(request->ignored_fields.empty());
}

TEST(ChatRequestTest, VisionRequestWithEverything) {
  const char* body = R"({
    "model": "qwen3-vl",
    "messages": [
      {"role": "system", "content": "be brief"},
      {"role": "developer", "content": [{"type": "text", "text": "rules"}]},
      {"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}},
        {"image_url": "data:image/png;base64,iVBORw0KGgo="}
      ]},
      {"role": "assistant", "content": null, "reasoning_content": "hmm",
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "lookup", "arguments": {"q": "cat"}}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
    ],
    "temperature": 0.7, "top_p": 0.8, "top_k": -1, "min_p": 0.05, "presence_penalty": 1.5,
    "frequency_penalty": -0.5, "repetition_penalty": 1.05, "seed": 42, "stop": ["</s>", "END"],
    "stop_token_ids": [151645], "n": 2, "max_completion_tokens": 512, "max_tokens": 9, "min_tokens": 3,
    "logprobs": true, "top_logprobs": 5, "stream": true, "stream_options": {"include_usage": true},
    "tools": [{"type": "function", "function": {"name": "lookup", "description": "d",
               "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}],
    "tool_choice": "auto", "parallel_tool_calls": false,
    "chat_template_kwargs": {"enable_thinking": false},
    "mm_processor_kwargs": {"min_pixels": 3136, "max_pixels": 1003520},
    "reasoning_effort": "low", "logit_bias": {"100": -100, "7": 2.5}, "ignore_eos": true,
    "skip_special_tokens": false, "include_stop_str_in_output": true, "request_id": "r-1",
    "cache_salt": "salt", "user": "u", "use_beam_search": false, "priority": 0, "response_format": {"type": "text"},
    "some_future_field": 1
  })";
  auto request = parse_chat_completion_request(body, limits_with_tools());
  ASSERT_TRUE(request.ok()) << request.error().message << " param=" << request.error().param;
  const ChatCompletionRequest& r = request.value();
  EXPECT_EQ(r.model, "qwen3-vl");
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[1].role, ChatRole::kDeveloper);
  EXPECT_EQ(r.messages[1].content_form, ContentForm::kParts);
  const ChatMessage& user = r.messages[2];
  ASSERT_EQ(user.parts.size(), 3u);
  EXPECT_EQ(user.parts[1].type, ContentPartType::kImageUrl);
  EXPECT_EQ(user.parts[1].image_url, "https://example.com/a.png");
  EXPECT_EQ(user.parts[1].detail, ImageDetail::kHigh);
  EXPECT_EQ(user.parts[2].type, ContentPartType::kImageUrl);
  EXPECT_EQ(count_images(r.messages), 2);
  const ChatMessage& assistant = r.messages[3];
  EXPECT_EQ(assistant.content_form, ContentForm::kAbsent);
  EXPECT_EQ(assistant.reasoning, "hmm");
  ASSERT_EQ(assistant.tool_calls.size(), 1u);
  EXPECT_EQ(assistant.tool_calls[0].arguments, R"({"q":"cat"})");
  EXPECT_EQ(r.messages[4].tool_call_id, "call_1");
  EXPECT_EQ(r.sampling.temperature, 0.7);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_EQ(r.sampling.seed, 42);
  EXPECT_EQ(r.sampling.stop, (std::vector<std::string>{"</s>", "END"}));
  EXPECT_EQ(r.sampling.stop_token_ids, (std::vector<int64_t>{151645}));
  EXPECT_EQ(r.sampling.n, 2);
  EXPECT_EQ(r.sampling.max_tokens, 512);  // max_completion_tokens wins over max_tokens
  EXPECT_EQ(r.sampling.min_tokens, 3);
  EXPECT_EQ(r.sampling.num_logprobs, 5);
  EXPECT_EQ(r.sampling.logit_bias.size(), 2u);
  EXPECT_TRUE(r.sampling.ignore_eos);
  EXPECT_EQ(r.sampling.skip_special_tokens, false);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_EQ(r.tools[0].parameters["type"], "object");
  EXPECT_EQ(r.tool_choice.mode, ToolChoiceMode::kAuto);
  EXPECT_FALSE(r.parallel_tool_calls);
  EXPECT_EQ(r.chat_template_kwargs["enable_thinking"], false);
  EXPECT_EQ(r.mm_processor_kwargs.max_pixels, 1003520);
  EXPECT_EQ(r.reasoning_effort, ReasoningEffort::kLow);
  EXPECT_EQ(r.request_id, "r-1");
  EXPECT_EQ(r.cache_salt, "salt");
  EXPECT_EQ(r.ignored_fields, (std::vector<std::string>{"some_future_field"}));
}

TEST(ChatRequestTest, NullsMeanDefaults) {
  auto request = parse_chat_completion_request(
      R"({"messages": [{"role": "user", "content": "x"}], "temperature": null, "max_tokens": null, "stop": null,
          "top_logprobs": null, "tools": null, "tool_choice": null, "n": null, "stream_options": null})",
      {});
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_FALSE(request->sampling.temperature.has_value());
  EXPECT_EQ(request->tool_choice.mode, ToolChoiceMode::kNone);
}

TEST(ChatRequestTest, ToolsDefaultToAutoAndNoneIsAlwaysFine) {
  const char* tools = R"("tools": [{"type": "function", "function": {"name": "f"}}])";
  auto with_auto = parse_chat_completion_request(
      std::string(R"({"messages": [{"role": "user", "content": "x"}], )") + tools + "}", limits_with_tools());
  ASSERT_TRUE(with_auto.ok());
  EXPECT_EQ(with_auto->tool_choice.mode, ToolChoiceMode::kAuto);
  auto none = parse_chat_completion_request(
      std::string(R"({"messages": [{"role": "user", "content": "x"}], "tool_choice": "none", )") + tools + "}", {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->tool_choice.mode, ToolChoiceMode::kNone);
}

TEST(ChatRequestTest, LocalFilesWhenAllowed) {
  RequestLimits limits;
  limits.allow_local_media = true;
  auto request = parse_chat_completion_request(
      R"({"messages": [{"role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "file:///data/a.jpg"}}]}]})",
      limits);
  ASSERT_TRUE(request.ok()) << request.error().message;
}

TEST(TokenizeRequestTest, BothForms) {
  auto prompt = parse_tokenize_request(R"({"prompt": "hello", "return_token_strs": true})", {});
  ASSERT_TRUE(prompt.ok());
  EXPECT_FALSE(prompt->is_chat);
  EXPECT_TRUE(prompt->add_special_tokens);
  EXPECT_TRUE(prompt->return_token_strs);
  auto chat = parse_tokenize_request(
      R"({"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": false,
          "tools": [{"type": "function", "function": {"name": "f"}}]})",
      {});
  ASSERT_TRUE(chat.ok()) << chat.error().message;
  EXPECT_TRUE(chat->is_chat);
  EXPECT_FALSE(chat->add_special_tokens);
  EXPECT_FALSE(chat->add_generation_prompt);
  EXPECT_EQ(chat->tools.size(), 1u);
  auto detokenize = parse_detokenize_request(R"({"tokens": [1, 2, 3], "model": "m"})");
  ASSERT_TRUE(detokenize.ok());
  EXPECT_EQ(detokenize->tokens, (std::vector<int64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace fovea::serve
