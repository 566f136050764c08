// Response and chunk JSON: OpenAI's field names and shapes, vLLM's additions, /v1/models, /tokenize.
// Field names and shapes follow OpenAI's schema and vLLM 0.33's protocol classes.
#include <gtest/gtest.h>

#include "serve/chat_response.h"
#include "serve/completion_response.h"
#include "serve/models_response.h"
#include "serve/tokenize_request.h"

namespace fovea::serve {
namespace {

const ResponseIdentity kIdentity{"chatcmpl-abc", 1700000000, "qwen3-vl"};

TEST(ChatResponseTest, WholeResponse) {
  ChatChoice choice;
  choice.content = "Hello";
  choice.reasoning = "think";
  choice.finish_reason = FinishReason::kStop;
  choice.stop_reason.stop_string = "END";
  choice.logprobs = std::vector<TokenLogprob>{{"He", -0.5, {{"He", -0.5}, {"Hi", -1.0}}},
                                              {"llo", -std::numeric_limits<double>::infinity(), {}}};
  Usage usage{10, 2, 4};
  const nlohmann::ordered_json json = build_chat_completion(kIdentity, "assistant", {choice}, usage);
  EXPECT_EQ(json["id"], "chatcmpl-abc");
  EXPECT_EQ(json["object"], "chat.completion");
  EXPECT_EQ(json["created"], 1700000000);
  EXPECT_EQ(json["model"], "qwen3-vl");
  const auto& first = json["choices"][0];
  EXPECT_EQ(first["index"], 0);
  EXPECT_EQ(first["message"]["role"], "assistant");
  EXPECT_EQ(first["message"]["content"], "Hello");
  EXPECT_EQ(first["message"]["reasoning_content"], "think");
  EXPECT_EQ(first["message"]["reasoning"], "think");
  EXPECT_FALSE(first["message"].contains("tool_calls"));
  EXPECT_EQ(first["finish_reason"], "stop");
  EXPECT_EQ(first["stop_reason"], "END");
  EXPECT_EQ(first["logprobs"]["content"][0]["bytes"], nlohmann::ordered_json({72, 101}));
  EXPECT_EQ(first["logprobs"]["content"][0]["top_logprobs"][1]["token"], "Hi");
  EXPECT_EQ(first["logprobs"]["content"][1]["logprob"], -9999.0);
  EXPECT_EQ(json["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(json["usage"]["completion_tokens"], 2);
  EXPECT_EQ(json["usage"]["total_tokens"], 12);
  EXPECT_EQ(json["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
}

TEST(ChatResponseTest, ToolCallsAndNullContent) {
  ChatChoice choice;
  choice.tool_calls.push_back({"call_1", "get_weather", R"({"city":"Paris"})"});
  choice.finish_reason = FinishReason::kToolCalls;
  choice.stop_reason.stop_token_id = 151645;
  const nlohmann::ordered_json json = build_chat_completion(kIdentity, "assistant", {choice}, Usage{});
  const auto& message = json["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null());
  EXPECT_FALSE(message.contains("reasoning_content"));
  EXPECT_EQ(message["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(message["tool_calls"][0]["type"], "function");
  EXPECT_EQ(message["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(message["tool_calls"][0]["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(json["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(json["choices"][0]["stop_reason"], 151645);
}

TEST(ChatResponseTest, StreamChunks) {
  ChatDelta first;
  first.role = "assistant";
  first.content = "";
  nlohmann::ordered_json chunk = build_chat_chunk(kIdentity, {first}, std::nullopt);
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_EQ(chunk["choices"][0]["delta"], nlohmann::ordered_json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(chunk["choices"][0].contains("stop_reason"));
  EXPECT_FALSE(chunk.contains("usage"));

  ChatDelta tool;
  tool.tool_calls.push_back({0, "call_9", "f", "{\"a\""});
  ChatDelta more_arguments;
  more_arguments.tool_calls.push_back({0, "", "", ": 1}"});
  more_arguments.finish_reason = FinishReason::kToolCalls;
  chunk = build_chat_chunk(kIdentity, {tool}, Usage{3, 1, std::nullopt});
  EXPECT_EQ(chunk["choices"][0]["delta"]["tool_calls"][0]["id"], "call_9");
  EXPECT_EQ(chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["name"], "f");
  EXPECT_EQ(chunk["usage"]["total_tokens"], 4);
  chunk = build_chat_chunk(kIdentity, {more_arguments}, std::nullopt);
  const auto& call = chunk["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_FALSE(call.contains("id"));
  EXPECT_FALSE(call["function"].contains("name"));
  EXPECT_EQ(call["function"]["arguments"], ": 1}");
  EXPECT_EQ(chunk["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(chunk["choices"][0]["stop_reason"].is_null());

  ChatDelta reasoning;
  reasoning.reasoning = "step";
  chunk = build_chat_chunk(kIdentity, {reasoning}, std::nullopt);
  EXPECT_EQ(chunk["choices"][0]["delta"]["reasoning_content"], "step");

  const nlohmann::ordered_json usage_chunk = build_chat_usage_chunk(kIdentity, Usage{5, 7, std::nullopt});
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["total_tokens"], 12);
  EXPECT_FALSE(usage_chunk["usage"].contains("prompt_tokens_details"));
}

TEST(CompletionResponseTest, ResponseAndChunks) {
  CompletionChoice choice;
  choice.text = " there";
  choice.finish_reason = FinishReason::kLength;
  choice.logprobs = CompletionLogprobs{{" the", "re"}, {-0.1, std::nullopt}, {{{" the", -0.1}}, {}}, {0, 4}};
  choice.token_ids = std::vector<int64_t>{1, 2};
  const ResponseIdentity identity{"cmpl-1", 5, "m"};
  nlohmann::ordered_json json = build_completion(identity, {choice}, Usage{3, 2, std::nullopt});
  EXPECT_EQ(json["object"], "text_completion");
  EXPECT_EQ(json["choices"][0]["text"], " there");
  EXPECT_EQ(json["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(json["choices"][0]["stop_reason"].is_null());
  EXPECT_EQ(json["choices"][0]["logprobs"]["tokens"][1], "re");
  EXPECT_TRUE(json["choices"][0]["logprobs"]["token_logprobs"][1].is_null());
  EXPECT_EQ(json["choices"][0]["logprobs"]["top_logprobs"][0][" the"], -0.1);
  EXPECT_EQ(json["choices"][0]["logprobs"]["text_offset"][1], 4);
  EXPECT_EQ(json["choices"][0]["token_ids"][1], 2);
  CompletionChoice partial;
  partial.text = "x";
  json = build_completion_chunk(identity, {partial}, std::nullopt);
  EXPECT_TRUE(json["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(build_completion_usage_chunk(identity, Usage{})["choices"].empty());
}

TEST(ModelsResponseTest, CardsAndModelCheck) {
  const nlohmann::ordered_json json = build_models_response({"qwen3-vl", "qwen"}, 1700000000, 131072);
  EXPECT_EQ(json["object"], "list");
  ASSERT_EQ(json["data"].size(), 2u);
  EXPECT_EQ(json["data"][1]["id"], "qwen");
  EXPECT_EQ(json["data"][1]["object"], "model");
  EXPECT_EQ(json["data"][1]["root"], "qwen3-vl");
  EXPECT_EQ(json["data"][0]["max_model_len"], 131072);
  EXPECT_EQ(build_version_response("0.1.0")["version"], "0.1.0");
  EXPECT_FALSE(check_requested_model("", {"a"}).has_value());
  EXPECT_FALSE(check_requested_model("a", {"a", "b"}).has_value());
  const MaybeApiError error = check_requested_model("gpt-4o", {"a"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status, 404);
  EXPECT_NE(error->message.find("'gpt-4o'"), std::string::npos);
}

TEST(TokenizeResponseTest, Shapes) {
  const std::vector<std::string> strs = {"a", "b"};
  nlohmann::ordered_json json = build_tokenize_response({5, 6}, 4096, &strs);
  EXPECT_EQ(json["count"], 2);
  EXPECT_EQ(json["max_model_len"], 4096);
  EXPECT_EQ(json["tokens"][1], 6);
  EXPECT_EQ(json["token_strs"][0], "a");
  EXPECT_TRUE(build_tokenize_response({}, 1, nullptr)["token_strs"].is_null());
  EXPECT_EQ(build_detokenize_response("hi")["prompt"], "hi");
}

TEST(ResponseIdTest, UniqueAndPrefixed) {
  const std::string a = make_response_id("chatcmpl-");
  const std::string b = make_response_id("chatcmpl-");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(a.size(), 9u + 32u);
  EXPECT_GT(unix_time_now_s(), 1600000000);
}

}  // namespace
}  // namespace fovea::serve
