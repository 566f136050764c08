// Bad requests: each maps to the right HTTP status, OpenAI error type, param and code, with a one-line message
// that names no path, address or internal name.
#include <gtest/gtest.h>

#include <string>

#include "serve/chat_completion_request.h"
#include "serve/completion_request.h"
#include "serve/tokenize_request.h"

namespace fovea::serve {
namespace {

enum class Endpoint { kChat, kChatWithTools, kCompletion, kTokenize, kDetokenize };

struct BadCase {
  const char* name;
  Endpoint endpoint;
  std::string body;
  const char* param;
  const char* code = "";  // "" -> null
};

const std::string kUser = R"({"role": "user", "content": "hi"})";
std::string chat(const std::string& extra) { return R"({"messages": [)" + kUser + "]" + extra + "}"; }
std::string user_parts(const std::string& parts) {
  return R"({"messages": [{"role": "user", "content": [)" + parts + "]}]}";
}
std::string image(const std::string& url) {
  return user_parts(R"({"type": "image_url", "image_url": {"url": ")" + url + R"("}})");
}
std::string deep_array(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string many_stops(int count) {
  std::string out = R"(, "stop": [)";
  for (int idx = 0; idx < count; ++idx) out += (idx ? ",\"s" : "\"s") + std::to_string(idx) + "\"";
  return out + "]";
}
const std::string kTool = R"(, "tools": [{"type": "function", "function": {"name": "f"}}])";

const std::vector<BadCase>& cases() {
  static const std::vector<BadCase> kCases = {
      {"not json", Endpoint::kChat, "{", "", "invalid_json"},
      {"top-level array", Endpoint::kChat, "[]", "", "invalid_json"},
      {"nested too deep", Endpoint::kChat, deep_array(200), "", "invalid_json"},
      {"missing messages", Endpoint::kChat, R"({"model": "m"})", "messages"},
      {"messages not array", Endpoint::kChat, R"({"messages": "hi"})", "messages"},
      {"messages empty", Endpoint::kChat, R"({"messages": []})", "messages"},
      {"message not object", Endpoint::kChat, R"({"messages": [1]})", "messages[0]"},
      {"missing role", Endpoint::kChat, R"({"messages": [{"content": "x"}]})", "messages[0].role"},
      {"legacy function role", Endpoint::kChat, R"({"messages": [{"role": "function", "content": "x"}]})",
       "messages[0].role"},
      {"role not string", Endpoint::kChat, R"({"messages": [{"role": 7, "content": "x"}]})", "messages[0].role"},
      {"user content missing", Endpoint::kChat, R"({"messages": [{"role": "user"}]})", "messages[0].content"},
      {"content number", Endpoint::kChat, R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content"},
      {"user parts empty", Endpoint::kChat, user_parts(""), "messages[0].content"},
      {"part not object", Endpoint::kChat, user_parts("\"text\""), "messages[0].content[0]"},
      {"unknown part type", Endpoint::kChat, user_parts(R"({"type": "hologram"})"), "messages[0].content[0].type"},
      {"video part", Endpoint::kChat, user_parts(R"({"type": "video_url", "video_url": {"url": "https://v"}})"),
       "messages[0].content[0].type", "unsupported_parameter"},
      {"audio part", Endpoint::kChat, user_parts(R"({"type": "input_audio", "input_audio": {}})"),
       "messages[0].content[0].type", "unsupported_parameter"},
      {"text part without text", Endpoint::kChat, user_parts(R"({"type": "text"})"), "messages[0].content[0].text"},
      {"image part without image_url", Endpoint::kChat, user_parts(R"({"type": "image_url"})"),
       "messages[0].content[0].image_url"},
      {"image url empty", Endpoint::kChat, image(""), "messages[0].content[0].image_url.url"},
      {"image url ftp", Endpoint::kChat, image("ftp://host/a.png"), "messages[0].content[0].image_url.url"},
      {"data url not an image", Endpoint::kChat, image("data:text/plain;base64,aGk="),
       "messages[0].content[0].image_url.url"},
      {"file url not allowed", Endpoint::kChat, image("file:///etc/passwd"), "messages[0].content[0].image_url.url"},
      {"image detail", Endpoint::kChat,
       user_parts(R"({"type": "image_url", "image_url": {"url": "https://a", "detail": "ultra"}})"),
       "messages[0].content[0].image_url.detail"},
      {"too many images", Endpoint::kChat,
       user_parts(R"({"image_url": "https://a"}, {"image_url": "https://b"}, {"image_url": "https://c"})"), "messages"},
      {"tool_calls on user", Endpoint::kChat, R"({"messages": [{"role": "user", "content": "x", "tool_calls": []}]})",
       "messages[0].tool_calls"},
      {"tool call without name", Endpoint::kChat,
       R"({"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": "{}"}}]}]})",
       "messages[0].tool_calls[0].function.name"},
      {"temperature too high", Endpoint::kChat, chat(R"(, "temperature": 3)"), "temperature"},
      {"temperature string", Endpoint::kChat, chat(R"(, "temperature": "hot")"), "temperature"},
      {"top_p zero", Endpoint::kChat, chat(R"(, "top_p": 0)"), "top_p"},
      {"top_k below -1", Endpoint::kChat, chat(R"(, "top_k": -2)"), "top_k"},
      {"top_k fraction", Endpoint::kChat, chat(R"(, "top_k": 1.5)"), "top_k"},
      {"min_p above 1", Endpoint::kChat, chat(R"(, "min_p": 2)"), "min_p"},
      {"presence_penalty", Endpoint::kChat, chat(R"(, "presence_penalty": 3)"), "presence_penalty"},
      {"frequency_penalty", Endpoint::kChat, chat(R"(, "frequency_penalty": -2.5)"), "frequency_penalty"},
      {"repetition_penalty zero", Endpoint::kChat, chat(R"(, "repetition_penalty": 0)"), "repetition_penalty"},
      {"seed fraction", Endpoint::kChat, chat(R"(, "seed": 1.5)"), "seed"},
      {"seed too large", Endpoint::kChat, chat(R"(, "seed": 18446744073709551615)"), "seed"},
      {"stop number", Endpoint::kChat, chat(R"(, "stop": 5)"), "stop"},
      {"stop empty string", Endpoint::kChat, chat(R"(, "stop": [""])"), "stop[0]"},
      {"too many stops", Endpoint::kChat, chat(many_stops(17)), "stop"},
      {"negative stop token", Endpoint::kChat, chat(R"(, "stop_token_ids": [-1])"), "stop_token_ids[0]"},
      {"n zero", Endpoint::kChat, chat(R"(, "n": 0)"), "n"},
      {"n too large", Endpoint::kChat, chat(R"(, "n": 1000)"), "n"},
      {"n with greedy", Endpoint::kChat, chat(R"(, "n": 2, "temperature": 0)"), "n"},
      {"max_tokens zero", Endpoint::kChat, chat(R"(, "max_tokens": 0)"), "max_tokens"},
      {"max_completion_tokens negative", Endpoint::kChat, chat(R"(, "max_completion_tokens": -1)"),
       "max_completion_tokens"},
      {"min_tokens above max", Endpoint::kChat, chat(R"(, "min_tokens": 10, "max_tokens": 5)"), "min_tokens"},
      {"logprobs string", Endpoint::kChat, chat(R"(, "logprobs": "yes")"), "logprobs"},
      {"top_logprobs too many", Endpoint::kChat, chat(R"(, "logprobs": true, "top_logprobs": 21)"), "top_logprobs"},
      {"top_logprobs without logprobs", Endpoint::kChat, chat(R"(, "top_logprobs": 2)"), "top_logprobs"},
      {"stream string", Endpoint::kChat, chat(R"(, "stream": "true")"), "stream"},
      {"stream_options without stream", Endpoint::kChat, chat(R"(, "stream_options": {"include_usage": true})"),
       "stream_options"},
      {"include_usage string", Endpoint::kChat, chat(R"(, "stream": true, "stream_options": {"include_usage": "y"})"),
       "stream_options.include_usage"},
      {"json_object format", Endpoint::kChat, chat(R"(, "response_format": {"type": "json_object"})"),
       "response_format", "unsupported_parameter"},
      {"unknown format", Endpoint::kChat, chat(R"(, "response_format": {"type": "xml"})"), "response_format.type"},
      {"beam search", Endpoint::kChat, chat(R"(, "use_beam_search": true)"), "use_beam_search",
       "unsupported_parameter"},
      {"template in request", Endpoint::kChat, chat(R"(, "chat_template": "{{ '/etc/passwd' }}")"), "chat_template",
       "unsupported_parameter"},
      {"tools empty", Endpoint::kChat, chat(R"(, "tools": [])"), "tools"},
      {"tool without function", Endpoint::kChat, chat(R"(, "tools": [{"type": "function"}])"), "tools[0].function"},
      {"auto tools not enabled", Endpoint::kChat, chat(kTool), "tool_choice"},
      {"required tool choice", Endpoint::kChatWithTools, chat(kTool + R"(, "tool_choice": "required")"), "tool_choice",
       "unsupported_parameter"},
      {"named tool not offered", Endpoint::kChatWithTools,
       chat(kTool + R"(, "tool_choice": {"type": "function", "function": {"name": "g"}})"), "tool_choice"},
      {"tool choice word", Endpoint::kChatWithTools, chat(kTool + R"(, "tool_choice": "maybe")"), "tool_choice"},
      {"tool choice without tools", Endpoint::kChatWithTools, chat(R"(, "tool_choice": "auto")"), "tool_choice"},
      {"template kwargs array", Endpoint::kChat, chat(R"(, "chat_template_kwargs": [])"), "chat_template_kwargs"},
      {"max_pixels zero", Endpoint::kChat, chat(R"(, "mm_processor_kwargs": {"max_pixels": 0})"),
       "mm_processor_kwargs.max_pixels"},
      {"unknown processor kwarg", Endpoint::kChat, chat(R"(, "mm_processor_kwargs": {"fps": 2})"),
       "mm_processor_kwargs.fps"},
      {"generation prompt and continue", Endpoint::kChat, chat(R"(, "continue_final_message": true)"),
       "continue_final_message"},
      {"reasoning effort", Endpoint::kChat, chat(R"(, "reasoning_effort": "extreme")"), "reasoning_effort"},
      {"cache salt slash", Endpoint::kChat, chat(R"(, "cache_salt": "a/b")"), "cache_salt"},
      {"logit_bias key", Endpoint::kChat, chat(R"(, "logit_bias": {"x": 1})"), "logit_bias"},
      {"logit_bias value", Endpoint::kChat, chat(R"(, "logit_bias": {"5": 101})"), "logit_bias.5"},
      {"priority", Endpoint::kChat, chat(R"(, "priority": 1)"), "priority", "unsupported_parameter"},
      {"guided json", Endpoint::kChat, chat(R"(, "guided_json": {"type": "object"})"), "guided_json",
       "unsupported_parameter"},
      {"model number", Endpoint::kChat, chat(R"(, "model": 5)"), "model"},
      {"legacy functions", Endpoint::kChat, chat(R"(, "functions": [{"name": "f"}])"), "functions",
       "unsupported_parameter"},
      {"prompt logprobs", Endpoint::kChat, chat(R"(, "prompt_logprobs": 1)"), "prompt_logprobs",
       "unsupported_parameter"},
      {"best_of", Endpoint::kChat, chat(R"(, "best_of": 3)"), "best_of", "unsupported_parameter"},
      {"truncate zero", Endpoint::kChat, chat(R"(, "truncate_prompt_tokens": 0)"), "truncate_prompt_tokens"},
      {"completion without prompt", Endpoint::kCompletion, R"({"model": "m"})", "prompt"},
      {"completion empty prompt", Endpoint::kCompletion, R"({"prompt": ""})", "prompt"},
      {"completion prompt empty list", Endpoint::kCompletion, R"({"prompt": []})", "prompt"},
      {"completion negative token", Endpoint::kCompletion, R"({"prompt": [1, -1]})", "prompt[1]"},
      {"completion several prompts", Endpoint::kCompletion, R"({"prompt": ["a", "b"]})", "prompt"},
      {"completion prompt object", Endpoint::kCompletion, R"({"prompt": [{"x": 1}]})", "prompt[0]"},
      {"completion suffix", Endpoint::kCompletion, R"({"prompt": "a", "suffix": "b"})", "suffix",
       "unsupported_parameter"},
      {"completion logprobs too many", Endpoint::kCompletion, R"({"prompt": "a", "logprobs": 21})", "logprobs"},
      {"completion logprobs bool", Endpoint::kCompletion, R"({"prompt": "a", "logprobs": true})", "logprobs"},
      {"completion zero tokens", Endpoint::kCompletion, R"({"prompt": "a", "max_tokens": 0})", "max_tokens"},
      {"tokenize without input", Endpoint::kTokenize, R"({"model": "m"})", "prompt"},
      {"tokenize with template", Endpoint::kTokenize, R"({"prompt": "a", "chat_template": "x"})", "chat_template",
       "unsupported_parameter"},
      {"detokenize without tokens", Endpoint::kDetokenize, R"({})", "tokens"},
      {"detokenize strings", Endpoint::kDetokenize, R"({"tokens": ["a"]})", "tokens[0]"},
  };
  return kCases;
}

MaybeApiError run(const BadCase& bad_case) {
  RequestLimits limits;
  limits.mm_limits.num_images = 2;
  switch (bad_case.endpoint) {
    case Endpoint::kChat:
      break;
    case Endpoint::kChatWithTools:
      limits.enable_auto_tool_choice = true;
      break;
    case Endpoint::kCompletion: {
      auto result = parse_completion_request(bad_case.body, limits);
      return result.ok() ? MaybeApiError() : result.error();
    }
    case Endpoint::kTokenize: {
      auto result = parse_tokenize_request(bad_case.body, limits);
      return result.ok() ? MaybeApiError() : result.error();
    }
    case Endpoint::kDetokenize: {
      auto result = parse_detokenize_request(bad_case.body);
      return result.ok() ? MaybeApiError() : result.error();
    }
  }
  auto result = parse_chat_completion_request(bad_case.body, limits);
  return result.ok() ? MaybeApiError() : result.error();
}

TEST(BadRequestTest, EachCaseMapsToStatusTypeParamAndCode) {
  ASSERT_GE(cases().size(), 40u);
  for (const BadCase& bad_case : cases()) {
    SCOPED_TRACE(bad_case.name);
    const MaybeApiError error = run(bad_case);
    ASSERT_TRUE(error.has_value()) << "accepted: " << bad_case.body;
    EXPECT_EQ(error->http_status, 400);
    EXPECT_EQ(error->type, "invalid_request_error");
    EXPECT_EQ(error->param, bad_case.param) << error->message;
    EXPECT_EQ(error->code, bad_case.code) << error->message;
    EXPECT_FALSE(error->message.empty());
    EXPECT_EQ(error->message.find('\n'), std::string::npos) << error->message;
    // Nothing that looks like a filesystem path, an address or an internal name.
    EXPECT_EQ(scrub_internal_details(error->message), error->message);
    for (const char* internal : {"nlohmann", "json.exception", "fovea::", ".cpp", "src/", "/etc/", "0x"}) {
      EXPECT_EQ(error->message.find(internal), std::string::npos) << error->message;
    }
    // The answer body is OpenAI's error schema.
    const nlohmann::json body = nlohmann::json::parse(error->to_body());
    ASSERT_TRUE(body.contains("error"));
    EXPECT_EQ(body["error"].size(), 4u);
    EXPECT_EQ(body["error"]["message"], error->message);
    EXPECT_EQ(body["error"]["param"].is_null(), error->param.empty());
    EXPECT_EQ(body["error"]["code"].is_null(), error->code.empty());
  }
}

TEST(ApiErrorTest, OtherAnswers) {
  EXPECT_EQ(unauthorized().http_status, 401);
  EXPECT_EQ(unauthorized().code, "invalid_api_key");
  const ApiError not_found = model_not_found("gpt-4");
  EXPECT_EQ(not_found.http_status, 404);
  EXPECT_EQ(not_found.param, "model");
  EXPECT_EQ(not_found.code, "model_not_found");
  EXPECT_EQ(request_too_large(1024).http_status, 413);
  EXPECT_EQ(server_overloaded().http_status, 503);
  EXPECT_EQ(server_draining().code, "server_draining");
  EXPECT_EQ(request_timeout(30).http_status, 504);
  const ApiError too_long = context_length_exceeded(5000, 100, 4096);
  EXPECT_EQ(too_long.code, "context_length_exceeded");
  EXPECT_NE(too_long.message.find("4096"), std::string::npos);
  EXPECT_EQ(method_not_allowed("POST").http_status, 405);
  EXPECT_EQ(route_not_found().http_status, 404);
}

TEST(ApiErrorTest, StatusMappingHidesInternals) {
  const ApiError internal =
      api_error_from_status(base::internal_error("tensor at 0x7ffd1234 in /work/main/src/model/x.cpp failed"));
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(internal.message.find("0x"), std::string::npos);
  const ApiError not_found = api_error_from_status(base::not_found("/models/q/config.json is missing"));
  EXPECT_EQ(not_found.http_status, 500);
  EXPECT_EQ(not_found.message.find("/models"), std::string::npos);
  const ApiError bad_image = api_error_from_status(
      base::invalid_argument("image at /srv/data/cat.png from 10.0.0.5:8080 (buffer 0xdeadbeef) is not a JPEG"));
  EXPECT_EQ(bad_image.http_status, 400);
  EXPECT_EQ(bad_image.message, "image at <path> from <address> (buffer <address>) is not a JPEG");
  EXPECT_EQ(api_error_from_status(base::make_error(base::StatusCode::kResourceExhausted, "queue full")).http_status,
            503);
  EXPECT_EQ(api_error_from_status(base::unsupported("no video")).code, "unsupported_parameter");
  EXPECT_EQ(api_error_from_status(base::make_error(base::StatusCode::kPermissionDenied, "no")).http_status, 403);
  // URLs the client sent stay readable.
  EXPECT_EQ(scrub_internal_details("could not fetch https://example.com/a/b.png"),
            "could not fetch https://example.com/a/b.png");
}

}  // namespace
}  // namespace fovea::serve
