// The mapping between validated requests and the engine's types, without a socket: chat messages back into the
// template's JSON, sampling fields, refusals, and RequestUpdates into chat deltas and completion choices.
#include <gtest/gtest.h>

#include "serve/chat_output.h"
#include "serve/completion_output.h"
#include "serve/generate_request_builder.h"

namespace fovea::serve {
namespace {

RequestLimits limits() {
  RequestLimits out;
  out.enable_auto_tool_choice = true;
  return out;
}

TEST(GenerateRequestBuilder, AssistantToolCallsGetParsedArgumentsAndToolMessagesKeepTheirId) {
  const std::string body = R"({"messages": [
      {"role": "system", "content": "be brief"},
      {"role": "user", "content": "weather?"},
      {"role": "assistant", "content": null, "reasoning_content": "hm",
       "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\"b\": 1, \"a\": 2}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "sunny"}],
    "max_completion_tokens": 5, "seed": 3, "top_k": -1, "logprobs": true, "top_logprobs": 2})";
  ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(body, limits());
  ASSERT_TRUE(request.ok()) << request.error().message;
  ApiResult<engine::GenerateRequest> generate = build_chat_generate_request(request.value(), body, {}, "id-1");
  ASSERT_TRUE(generate.ok());
  const nlohmann::ordered_json& messages = generate->prompt.chat->messages;
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_FALSE(messages[2].contains("content"));
  EXPECT_EQ(messages[2]["reasoning_content"], "hm");
  EXPECT_EQ(messages[2]["tool_calls"][0]["function"]["arguments"].dump(), R"({"b":1,"a":2})");
  EXPECT_EQ(messages[3]["tool_call_id"], "c1");
  EXPECT_EQ(generate->request_id, "id-1");
  EXPECT_EQ(generate->sampling.max_tokens, 5);
  EXPECT_EQ(generate->sampling.seed, 3);
  EXPECT_EQ(generate->sampling.logprobs, 2);
  EXPECT_EQ(generate->output.tools, engine::ToolCallParser::kNone);
}

TEST(GenerateRequestBuilder, RefusesWhatTheEngineCannotHonour) {
  const std::string truncate = R"({"messages": [{"role": "user", "content": "x"}], "truncate_prompt_tokens": 3})";
  ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(truncate, limits());
  ASSERT_TRUE(request.ok());
  ApiResult<engine::GenerateRequest> generate = build_chat_generate_request(request.value(), truncate, {}, "id");
  ASSERT_FALSE(generate.ok());
  EXPECT_EQ(generate.error().code, "unsupported_parameter");
  const std::string continued = R"({"messages": [{"role": "user", "content": "x"}], "add_generation_prompt": false,
      "continue_final_message": true})";
  ApiResult<ChatCompletionRequest> request2 = parse_chat_completion_request(continued, limits());
  ASSERT_TRUE(request2.ok());
  EXPECT_FALSE(build_chat_generate_request(request2.value(), continued, {}, "id").ok());
}

TEST(GenerateRequestBuilder, CompletionPromptsAsTextOrIds) {
  const std::string body = R"({"prompt": [1, 2, 3], "max_tokens": 4, "echo": true})";
  ApiResult<CompletionRequest> request = parse_completion_request(body, limits());
  ASSERT_TRUE(request.ok());
  ApiResult<engine::GenerateRequest> generate =
      build_completion_generate_request(request.value(), request->prompts.front(), "id");
  ASSERT_TRUE(generate.ok());
  EXPECT_EQ(*generate->prompt.token_ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_TRUE(generate->output.echo_prompt);
  EXPECT_FALSE(generate->prompt.chat.has_value());
}

TEST(ChatOutput, StopStringsAndStopTokensBecomeStopReasons) {
  ChatOutput output({/*num_choices=*/2, true, false, false});
  engine::RequestUpdate update;
  update.choices.push_back({0, "a", "", {}, {1}, {}, engine::FinishKind::kStop, std::string("END"), std::nullopt});
  update.choices.push_back({1, "b", "", {}, {2}, {}, engine::FinishKind::kStop, std::nullopt, 7});
  update.finished = true;
  std::vector<ChatDelta> deltas = output.add(update);
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0].stop_reason.stop_string, "END");
  std::vector<ChatChoice> choices = output.choices();
  EXPECT_EQ(choices[1].stop_reason.stop_token_id, 7);
  EXPECT_EQ(choices[1].content, "b");
  EXPECT_TRUE(output.all_finished());
}

TEST(ChatOutput, ReasoningIsDroppedWhenTheRequestSaysSo) {
  ChatOutput output({1, /*include_reasoning=*/false, false, false});
  engine::RequestUpdate update;
  update.choices.push_back({0, "", "secret", {}, {1}, {}, engine::FinishKind::kNone, {}, {}});
  EXPECT_TRUE(output.add(update).empty());
  EXPECT_FALSE(output.choices()[0].reasoning.has_value());
}

TEST(GenerateRequestBuilder, EnableThinkingReachesTheOutputParsers) {
  GenerateDefaults defaults;
  defaults.reasoning_parser = ReasoningParserKind::kQwen3;
  const std::string no_thinking = R"(, "chat_template_kwargs": {"enable_thinking": false})";
  for (const auto& [kwargs, expected] : {std::pair{no_thinking, false}, std::pair{std::string(), true}}) {
    const std::string body = R"({"messages": [{"role": "user", "content": "hi"}])" + kwargs + "}";
    ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(body, limits());
    ASSERT_TRUE(request.ok()) << request.error().message;
    ApiResult<engine::GenerateRequest> generate = build_chat_generate_request(request.value(), body, defaults, "id");
    ASSERT_TRUE(generate.ok());
    EXPECT_EQ(generate->output.enable_thinking, expected) << body;
    EXPECT_EQ(generate->output.reasoning, engine::ReasoningParser::kQwen3);
  }
}

TEST(ChatOutput, WholeAnswerIsTheEnginesAnswerNotTheJoinedDeltas) {
  ChatOutput output({1, true, false, false});
  engine::RequestUpdate update;
  // The stream had the arguments as the model wrote them; the whole answer re-serializes them (json.dumps).
  update.choices.push_back(
      {0, "", "r", {{0, "chatcmpl-tool-1", "f", "{\"a\":1}"}}, {1}, {}, engine::FinishKind::kToolCalls, {}, {}});
  update.finished = true;
  engine::ChoiceAnswer answer;
  answer.reasoning = "r";
  answer.tool_calls = {{"chatcmpl-tool-1", "f", "{\"a\": 1}"}};
  answer.finish = engine::FinishKind::kToolCalls;
  update.answers.push_back(answer);
  output.add(update);
  std::vector<ChatChoice> choices = output.choices();
  ASSERT_EQ(choices[0].tool_calls.size(), 1u);
  EXPECT_EQ(choices[0].tool_calls[0].arguments, "{\"a\": 1}");
  EXPECT_FALSE(choices[0].content.has_value());
  EXPECT_EQ(choices[0].reasoning, "r");
  EXPECT_EQ(choices[0].finish_reason, FinishReason::kToolCalls);

  // A call the stream announced by name whose block is no valid JSON stays content in the whole answer ("stop").
  ChatOutput invalid({1, /*include_reasoning=*/false, false, false});
  engine::RequestUpdate streamed;
  streamed.choices.push_back(
      {0, "", "r", {{0, "chatcmpl-tool-2", "f", "{oops"}}, {1}, {}, engine::FinishKind::kToolCalls, {}, {}});
  engine::ChoiceAnswer kept;
  kept.reasoning = "r";
  kept.content = "<tool_call>{\"name\": \"f\", {oops";
  streamed.answers.push_back(kept);
  invalid.add(streamed);
  choices = invalid.choices();
  EXPECT_TRUE(choices[0].tool_calls.empty());
  EXPECT_EQ(choices[0].content, kept.content);
  EXPECT_FALSE(choices[0].reasoning.has_value());
  EXPECT_EQ(choices[0].finish_reason, FinishReason::kStop);
}

TEST(ChatChunk, ToolCallsStreamTheNameAloneThenArguments) {
  ChatDelta first;
  first.tool_calls.push_back({0, "chatcmpl-tool-1", "get_weather", ""});
  ChatDelta next;
  next.tool_calls.push_back({0, "", "", "{\"city\": "});
  const ResponseIdentity identity{"chatcmpl-1", 1, "m"};
  nlohmann::ordered_json name_chunk = build_chat_chunk(identity, {first}, std::nullopt);
  nlohmann::ordered_json call = name_chunk["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(call.dump(), R"({"index":0,"id":"chatcmpl-tool-1","type":"function","function":{"name":"get_weather"}})");
  call = build_chat_chunk(identity, {next}, std::nullopt)["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(call.dump(), R"({"index":0,"function":{"arguments":"{\"city\": "}})");
}

TEST(CompletionOutput, StreamPiecesCarryTheEchoOnceAndOffsetsInBytes) {
  CompletionOutputOptions options;
  options.echo_text = "P";
  options.logprobs = true;
  CompletionOutput output(options);
  engine::RequestUpdate first;
  first.choices.push_back(
      {0, "ab", "", {}, {1, 2}, {{1, "a", -1.0f, {}}, {2, "b", -2.0f, {}}}, engine::FinishKind::kNone, {}, {}});
  std::vector<CompletionChoice> pieces = output.add(first);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].text, "Pab");
  EXPECT_EQ(pieces[0].logprobs->text_offset, (std::vector<int64_t>{1, 2}));
  engine::RequestUpdate second;
  second.choices.push_back({0, "c", "", {}, {3}, {{3, "c", -0.5f, {}}}, engine::FinishKind::kLength, {}, {}});
  pieces = output.add(second);
  EXPECT_EQ(pieces[0].text, "c");
  EXPECT_EQ(pieces[0].logprobs->text_offset, (std::vector<int64_t>{3}));
  EXPECT_EQ(output.choices()[0].text, "Pabc");
  EXPECT_EQ(output.choices()[0].finish_reason, FinishReason::kLength);
}

}  // namespace
}  // namespace fovea::serve
