// The serve flags that shape behaviour rather than configuration: --chat-template-content-format (vLLM's
// auto-detection on the real Qwen3 and Qwen3-VL templates, and the content each format hands the template),
// X-Request-Id validation, the request log (--enable-log-requests / --max-log-len), the periodic stats line
// (--disable-log-stats) and the HTTP access line (--uvicorn-log-level).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "serve/chat_content_format.h"
#include "serve/generate_request_builder.h"
#include "serve/http_log.h"
#include "serve/request_id.h"
#include "serve/request_log.h"
#include "serve/stats_logger.h"
#include "serve_test_util.h"
#include "text/chat_template.h"

namespace fovea::serve {
namespace {

using nlohmann::ordered_json;

const std::string kAssets = FOVEA_SHARED_ASSETS "/chat-templates/";
const std::string kTinyVlTemplate =
    FOVEA_SOURCE_DIR "/tests/golden/model/data/checkpoints/qwen3-vl-tiny/chat_template.jinja";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

RequestLimits limits() {
  RequestLimits out;
  out.allow_local_media = false;
  return out;
}

ApiResult<engine::GenerateRequest> build(const std::string& body, ChatTemplateContentFormat format) {
  ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(body, limits());
  if (!request.ok()) return request.error();
  GenerateDefaults defaults;
  defaults.content_format = format;
  return build_chat_generate_request(request.value(), body, defaults, "id");
}

std::string render(const std::string& template_path, const ordered_json& messages) {
  auto chat_template = text::ChatTemplate::create(read_text(template_path));
  EXPECT_TRUE(chat_template.ok()) << chat_template.status().message();
  if (!chat_template.ok()) return {};
  text::ChatRenderRequest request;
  request.messages = messages;
  auto rendered = chat_template->render(request);
  EXPECT_TRUE(rendered.ok()) << rendered.status().message();
  return rendered.ok() ? *rendered : std::string();
}

TEST(ChatContentFormat, AutoPicksWhatTheRealQwenTemplatesNeed) {
  const std::string qwen3 = read_text(kAssets + "qwen3.jinja");
  const std::string qwen3_vl = read_text(kAssets + "qwen3-vl-style.jinja");
  ASSERT_FALSE(qwen3.empty());
  ASSERT_FALSE(qwen3_vl.empty());
  // Qwen3 only ever reads message.content as a string; Qwen3-VL loops over content parts inside a macro.
  EXPECT_EQ(detect_chat_template_content_format(qwen3), ChatTemplateContentFormat::kString);
  EXPECT_EQ(detect_chat_template_content_format(qwen3_vl), ChatTemplateContentFormat::kOpenai);
  EXPECT_EQ(detect_chat_template_content_format(read_text(kTinyVlTemplate)), ChatTemplateContentFormat::kOpenai);
}

TEST(ChatContentFormat, DetectionFollowsVllmRule) {
  const auto detect = [](const char* source) { return detect_chat_template_content_format(source); };
  EXPECT_EQ(detect("{% for m in messages %}{% for c in m['content'] %}{{ c.text }}{% endfor %}{% endfor %}"),
            ChatTemplateContentFormat::kOpenai);
  // An alias of messages (slice), a filter on the content.
  EXPECT_EQ(detect("{% set rest = messages[1:] %}{% for m in rest %}{% for c in m.content | list %}{% endfor %}"
                   "{% endfor %}"),
            ChatTemplateContentFormat::kOpenai);
  EXPECT_EQ(detect("{% for m in messages | reverse %}{% for c in m.content %}{% endfor %}{% endfor %}"),
            ChatTemplateContentFormat::kOpenai);
  EXPECT_EQ(detect("{% for m in messages %}{{ m.content }}{% endfor %}"), ChatTemplateContentFormat::kString);
  // A loop over some other object's content is not a message's.
  EXPECT_EQ(detect("{% for m in messages %}{% for c in tools.content %}{% endfor %}{% endfor %}"),
            ChatTemplateContentFormat::kString);
  EXPECT_EQ(detect("{% for m in messages %}"), ChatTemplateContentFormat::kString);  // does not parse
}

TEST(ChatContentFormat, ResolveKeepsAnExplicitChoice) {
  EXPECT_EQ(resolve_chat_template_content_format(ChatTemplateContentFormat::kString, "{% for c in content %}"),
            ChatTemplateContentFormat::kString);
  EXPECT_EQ(resolve_chat_template_content_format(ChatTemplateContentFormat::kOpenai, std::nullopt),
            ChatTemplateContentFormat::kOpenai);
  EXPECT_EQ(resolve_chat_template_content_format(ChatTemplateContentFormat::kAuto, std::nullopt),
            ChatTemplateContentFormat::kString);
  EXPECT_EQ(
      resolve_chat_template_content_format(ChatTemplateContentFormat::kAuto, "{% for c in content %}{% endfor %}"),
      ChatTemplateContentFormat::kOpenai);
}

TEST(ChatContentFormat, StringJoinsTextPartsAndHandsImagesOverBesideTheMessages) {
  const std::string body = R"({"messages": [
      {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
                                                               "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "c", "content": "ok"}]})";
  auto generate = build(body, ChatTemplateContentFormat::kString);
  ASSERT_TRUE(generate.ok()) << generate.error().message;
  const ordered_json& messages = generate->prompt.chat->messages;
  EXPECT_EQ(messages[0]["content"], "first\nsecond");
  EXPECT_EQ(messages[1]["content"], "");  // vLLM: absent content is the empty string
  EXPECT_EQ(messages[2]["content"], "ok");

  const std::string image = R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "x"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]})";
  auto with_image = build(image, ChatTemplateContentFormat::kString);
  ASSERT_TRUE(with_image.ok()) << with_image.error().message;
  EXPECT_EQ(with_image->prompt.chat->messages[0]["content"], "<|vision_start|><|image_pad|><|vision_end|>\nx");
  EXPECT_EQ(with_image->prompt.image_urls, std::vector<std::string>{"data:image/png;base64,AAAA"});
}

TEST(ChatContentFormat, StringRendersTheQwen3TemplateAsTheJoinedText) {
  // With content parts the text-only Qwen3 template would render nothing for the user turn; "string" (what auto
  // picks for it) renders exactly what the client's text as one string renders.
  const std::string parts = R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"},
      {"type": "text", "text": "world"}]}]})";
  auto generate = build(parts, ChatTemplateContentFormat::kString);
  ASSERT_TRUE(generate.ok());
  const ordered_json as_string = ordered_json::parse(R"([{"role": "user", "content": "Hello\nworld"}])");
  EXPECT_EQ(render(kAssets + "qwen3.jinja", generate->prompt.chat->messages),
            render(kAssets + "qwen3.jinja", as_string));
}

TEST(ChatContentFormat, OpenaiWrapsStringsAndRendersImagesForQwen3Vl) {
  const std::string body = R"({"messages": [
      {"role": "system", "content": "be brief"},
      {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                   {"type": "text", "text": "what is it?"}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
                                                               "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "c",
       "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]})";
  auto generate = build(body, ChatTemplateContentFormat::kOpenai);
  ASSERT_TRUE(generate.ok()) << generate.error().message;
  const ordered_json& messages = generate->prompt.chat->messages;
  EXPECT_EQ(messages[0]["content"].dump(), R"([{"type":"text","text":"be brief"}])");
  EXPECT_EQ(messages[1]["content"][0]["type"], "image");
  EXPECT_EQ(messages[1]["content"][0]["image_url"]["url"], "data:image/png;base64,AAAA");
  EXPECT_EQ(messages[2]["content"], ordered_json::array());
  EXPECT_EQ(messages[3]["content"], "a\nb");  // vLLM hands text-only tool results over as one string

  // The Qwen3-VL template renders the image placeholder and the wrapped strings as it renders the client's form.
  const std::string turn = R"({"messages": [{"role": "system", "content": "be brief"},
      {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                   {"type": "text", "text": "what is it?"}]}]})";
  auto as_openai = build(turn, ChatTemplateContentFormat::kOpenai);
  auto as_sent = build(turn, ChatTemplateContentFormat::kAuto);
  ASSERT_TRUE(as_openai.ok());
  ASSERT_TRUE(as_sent.ok());
  const std::string rendered = render(kAssets + "qwen3-vl-style.jinja", as_openai->prompt.chat->messages);
  EXPECT_NE(rendered.find("<|vision_start|><|image_pad|><|vision_end|>what is it?"), std::string::npos) << rendered;
  EXPECT_EQ(rendered, render(kAssets + "qwen3-vl-style.jinja", as_sent->prompt.chat->messages));
}

TEST(RequestId, ClientIdsAreBoundedPrintableAscii) {
  EXPECT_TRUE(is_valid_client_request_id("abc-123_X.y:z"));
  EXPECT_TRUE(is_valid_client_request_id(std::string(kMaxClientRequestIdChars, 'a')));
  EXPECT_FALSE(is_valid_client_request_id(std::string(kMaxClientRequestIdChars + 1, 'a')));
  EXPECT_FALSE(is_valid_client_request_id(""));
  EXPECT_FALSE(is_valid_client_request_id("a\nb"));
  EXPECT_FALSE(is_valid_client_request_id("caf\xc3\xa9"));
  const std::string id = random_request_id();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, random_request_id());
}

TEST(RequestLog, ShortensByCharactersNotBytes) {
  EXPECT_EQ(shorten_for_log("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(shorten_for_log("h\xc3\xa9llo", std::nullopt), "h\xc3\xa9llo");
  EXPECT_EQ(shorten_for_log("hello", 0), "");
  EXPECT_EQ(shorten_for_log("hi", 10), "hi");
}

TEST(RequestLog, ReceivedLineHasIdPromptParamsAndImages) {
  const std::string body = R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "describe"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAAAAAAAAAAAAAA"}}]}],
      "temperature": 0.5, "max_tokens": 7, "stop": ["END"]})";
  auto generate = build(body, ChatTemplateContentFormat::kOpenai);
  ASSERT_TRUE(generate.ok());
  const std::string line = RequestLog(true, std::nullopt).received_line("chatcmpl-abc", generate.value());
  EXPECT_EQ(line.rfind("Received request chatcmpl-abc: messages: [", 0), 0u) << line;
  EXPECT_NE(line.find("describe"), std::string::npos) << line;
  EXPECT_EQ(line.find("AAAAAAAAAAAAAAAA"), std::string::npos) << line;  // images by size only
  const std::string url = "data:image/png;base64,AAAAAAAAAAAAAAAA";
  EXPECT_NE(line.find("data:image/png;base64,<" + std::to_string(url.size()) + " bytes>"), std::string::npos) << line;
  EXPECT_NE(line.find("params: SamplingParams(n=1, temperature=0.5, max_tokens=7, stop=[\"END\"])"), std::string::npos)
      << line;
  EXPECT_NE(line.find("images: 1"), std::string::npos) << line;
  const std::string short_line = RequestLog(true, 10).received_line("x", generate.value());
  EXPECT_NE(short_line.find("messages: [{\"role\":\","), std::string::npos) << short_line;
  EXPECT_EQ(short_line.find("describe"), std::string::npos) << short_line;
}

TEST(RequestLog, CompletionPromptsAsQuotedTextOrCutIds) {
  engine::PromptInput text;
  text.text = "line one\nline two";
  EXPECT_EQ(describe_prompt_for_log(text, 8), "prompt: \"line one\"");
  EXPECT_EQ(describe_prompt_for_log(text, std::nullopt), "prompt: \"line one\\nline two\"");
  engine::PromptInput ids;
  ids.token_ids = std::vector<int32_t>{1, 2, 3, 4};
  EXPECT_EQ(describe_prompt_for_log(ids, 2), "prompt_token_ids: [1, 2]");
  EXPECT_EQ(count_prompt_images(ids), 0);
}

TEST(StatsLine, VllmWording) {
  StatsLine line;
  line.prompt_tokens_per_s = 12.34;
  line.generation_tokens_per_s = 5.0;
  line.num_running = 2;
  line.num_waiting = 1;
  line.kv_cache_usage = 0.125;
  line.prefix_cache_hit_rate = 0.5;
  EXPECT_EQ(format_stats_line(line),
            "Engine 000: Avg prompt throughput: 12.3 tokens/s, Avg generation throughput: 5.0 tokens/s, Running: 2 "
            "reqs, Waiting: 1 reqs, GPU KV cache usage: 12.5%, Prefix cache hit rate: 50.0%");
}

TEST(StatsLine, ThroughputOverTheIntervalAndQuietWhenIdle) {
  engine::EngineStats start;
  start.prompt_tokens_total = 100;
  start.generation_tokens_total = 10;
  StatsAccumulator accumulator(start);
  engine::EngineStats busy = start;
  busy.prompt_tokens_total = 300;
  busy.generation_tokens_total = 60;
  busy.prefix_cache_queries = 200;
  busy.prefix_cache_hits = 50;
  busy.num_running = 3;
  busy.kv_cache_usage = 0.25;
  bool active = false;
  StatsLine line = accumulator.next(busy, 10.0, &active);
  EXPECT_TRUE(active);
  EXPECT_DOUBLE_EQ(line.prompt_tokens_per_s, 20.0);
  EXPECT_DOUBLE_EQ(line.generation_tokens_per_s, 5.0);
  EXPECT_DOUBLE_EQ(line.prefix_cache_hit_rate, 0.25);
  EXPECT_EQ(line.num_running, 3);
  // The interval after traffic still logs at info (vLLM), the one after that is idle.
  line = accumulator.next(busy, 10.0, &active);
  EXPECT_TRUE(active);
  EXPECT_DOUBLE_EQ(line.prompt_tokens_per_s, 0.0);
  EXPECT_DOUBLE_EQ(line.prefix_cache_hit_rate, 0.25);  // the window still holds the busy interval
  accumulator.next(busy, 10.0, &active);
  EXPECT_FALSE(active);
}

TEST(StatsLine, IntervalFromTheEnvironment) {
  const auto env = [](std::map<std::string, std::string> values) {
    return [values](const char* name) -> std::optional<std::string> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  };
  EXPECT_EQ(log_stats_interval(env({})), std::chrono::milliseconds(10'000));
  EXPECT_EQ(log_stats_interval(env({{"VLLM_LOG_STATS_INTERVAL", "2.5"}})), std::chrono::milliseconds(2'500));
  EXPECT_EQ(log_stats_interval(env({{"VLLM_LOG_STATS_INTERVAL", "2"}, {"FOVEA_LOG_STATS_INTERVAL", "0.5"}})),
            std::chrono::milliseconds(500));
  EXPECT_EQ(log_stats_interval(env({{"VLLM_LOG_STATS_INTERVAL", "-1"}})), std::chrono::milliseconds(10'000));
  EXPECT_EQ(log_stats_interval(env({{"VLLM_LOG_STATS_INTERVAL", "soon"}})), std::chrono::milliseconds(10'000));
}

TEST(HttpLog, UvicornAccessLine) {
  EXPECT_EQ(access_log_line("127.0.0.1", 5000, "GET", "/v1/models", "HTTP/1.1", 200),
            "127.0.0.1:5000 - \"GET /v1/models HTTP/1.1\" 200 OK");
  EXPECT_EQ(access_log_line("::1", 1, "POST", "/x?a=\x01", "HTTP/1.0", 599), "::1:1 - \"POST /x?a=? HTTP/1.0\" 599");
  EXPECT_STREQ(http_reason_phrase(404), "Not Found");
}

TEST(HttpLog, AccessLineFlagsParseAndDump) {
  auto parsed = testing::parse_args(
      {"/m", "--disable-uvicorn-access-log", "--disable-access-log-for-endpoints", "/health, /metrics,"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->config.disable_uvicorn_access_log);
  EXPECT_EQ(parsed->config.disable_access_log_for_endpoints, (std::vector<std::string>{"/health", "/metrics"}));
  const nlohmann::ordered_json dump = serve_config_to_json(parsed->config);
  EXPECT_EQ(dump["disable-uvicorn-access-log"], true);
  EXPECT_EQ(dump["disable-access-log-for-endpoints"], "/health,/metrics");
  EXPECT_NE(testing::error_of({"/m", "--disable-access-log-for-endpoints", "health"}).find("is not an endpoint path"),
            std::string::npos);
}

}  // namespace
}  // namespace fovea::serve
