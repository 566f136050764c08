// The HTTP layer end to end over a real socket with a scripted engine: readiness, auth, routing errors, chat and
// completion answers (whole and streamed), the request mapping the engine receives, admission limits, client
// disconnects, timeouts, draining and metrics.
#include <httplib.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <chrono>
#include <thread>

#include "fake_engine.h"
#include "serve/http_server.h"
#include "serve/request_id.h"
#include "serve/server_context.h"

namespace fovea::serve {
namespace {

using nlohmann::json;
using testing::FakeEngine;
using testing::Script;
using testing::text_script;

const char* const kTokenizerPath = FOVEA_SOURCE_DIR "/tests/golden/model/data/checkpoints/qwen3-vl-tiny/tokenizer.json";

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServeConfig config = {}, bool ready = true) {
    if (config.model.empty()) config.model = "/models/tiny";
    if (config.served_model_names.empty()) config.served_model_names = {"tiny"};
    ServerOptions options;
    options.version = "9.9.9";
    options.max_num_seqs = 1;
    options.max_model_len_tokens = 4096;
    context_ = std::make_unique<ServerContext>(std::move(config), options);
    auto tokenizer = text::Tokenizer::load_file(kTokenizerPath);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    engine_ = std::make_unique<FakeEngine>(std::move(*tokenizer));
    server_ = std::make_unique<HttpServer>(*context_);
    auto port = server_->bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
    thread_ = std::thread([this] { (void)server_->run(); });
    if (ready) make_ready();
  }
  void make_ready() { context_->set_engine(engine_.get(), nullptr, "", ""); }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Client client(const std::string& key = "") {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(10, 0);
    if (!key.empty()) cli.set_bearer_token_auth(key.c_str());
    return cli;
  }
  httplib::Result post(const std::string& path, const json& body, const std::string& key = "") {
    return client(key).Post(path.c_str(), body.dump(), "application/json");
  }

  static json chat_body(bool stream = false) {
    json body = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 3}};
    if (stream) body["stream"] = true;
    return body;
  }

  // The JSON events of an SSE body, without [DONE]; `done` says whether it was there.
  static std::vector<json> sse_events(const std::string& body, bool* done) {
    std::vector<json> out;
    *done = false;
    size_t pos = 0;
    while ((pos = body.find("data: ", pos)) != std::string::npos) {
      size_t end = body.find("\n\n", pos);
      std::string data = body.substr(pos + 6, end - pos - 6);
      pos = end;
      if (data == "[DONE]") {
        *done = true;
      } else {
        out.push_back(json::parse(data));
      }
    }
    return out;
  }

  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<FakeEngine> engine_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(HttpServerTest, HealthIs503WhileLoadingThen200) {
  start({}, /*ready=*/false);
  auto res = client().Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "model_loading");
  EXPECT_EQ(post("/v1/chat/completions", chat_body())->status, 503);
  EXPECT_EQ(client().Get("/health/live")->status, 200);
  make_ready();
  EXPECT_EQ(client().Get("/health")->status, 200);
  auto version = client().Get("/version");
  EXPECT_EQ(json::parse(version->body)["version"], "9.9.9");
}

TEST_F(HttpServerTest, ChatAnswerAndTheRequestTheEngineGets) {
  ServeConfig config;
  config.default_chat_template_kwargs = {{"enable_thinking", false}, {"x", 1}};
  config.reasoning_parser = ReasoningParserKind::kQwen3;
  config.enable_auto_tool_choice = true;
  config.tool_call_parser = ToolCallParserKind::kHermes;
  start(config);
  engine_->push_script(text_script({"Hel", "lo"}, engine::FinishKind::kStop));
  json body = chat_body();
  body["messages"] = {{{"role", "user"},
                       {"content",
                        {{{"type", "text"}, {"text", "what is this?"}},
                         {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,AAAA"}}}}}}}};
  body["chat_template_kwargs"] = {{"x", 2}};
  body["temperature"] = 0;
  body["stop"] = {"END"};
  // Raw text, because nlohmann::json would sort the schema's keys before they reach the server.
  std::string text = body.dump();
  text.insert(text.size() - 1,
              R"(,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object",)"
              R"("properties":{"z":{},"a":{}}}}}])");
  auto res = client().Post("/v1/chat/completions", text, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json answer = json::parse(res->body);
  EXPECT_EQ(answer["object"], "chat.completion");
  EXPECT_EQ(answer["model"], "tiny");
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "Hello");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 2);

  ASSERT_EQ(engine_->submitted().size(), 1u);
  const engine::GenerateRequest request = engine_->submitted()[0];
  ASSERT_TRUE(request.prompt.chat);
  const auto& chat = *request.prompt.chat;
  EXPECT_EQ(chat.messages[0]["content"][1]["type"], "image_url");
  EXPECT_EQ(chat.messages[0]["content"][1]["image_url"]["url"], "data:image/png;base64,AAAA");
  EXPECT_EQ(chat.extra_kwargs["x"], 2);
  EXPECT_EQ(chat.extra_kwargs["enable_thinking"], false);
  // Tool schemas keep the client's key order ("z" before "a"), as Python dicts do.
  EXPECT_EQ(chat.tools[0]["function"]["parameters"]["properties"].dump(), R"({"z":{},"a":{}})");
  EXPECT_EQ(request.output.reasoning, engine::ReasoningParser::kQwen3);
  EXPECT_EQ(request.output.tools, engine::ToolCallParser::kHermes);
  EXPECT_EQ(request.sampling.temperature, 0.0);
  EXPECT_EQ(request.sampling.stop, std::vector<std::string>{"END"});
}

TEST_F(HttpServerTest, ReasoningAndToolCallsInWholeAndStreamedAnswers) {
  ServeConfig config;
  config.enable_auto_tool_choice = true;
  config.tool_call_parser = ToolCallParserKind::kHermes;
  start(config);
  Script script;
  engine::RequestUpdate first;
  first.choices.push_back({0, "", "think", {}, {1}, {}, engine::FinishKind::kNone, {}, {}});
  engine::RequestUpdate second;
  engine::ChoiceUpdate call{0, "", "", {{0, "call-1", "get_weather", "{\"city\": "}}, {2}, {},
                            engine::FinishKind::kNone, {}, {}};
  second.choices.push_back(call);
  engine::RequestUpdate last;
  last.choices.push_back({0, "", "", {{0, std::nullopt, std::nullopt, "\"Paris\"}"}}, {3}, {},
                          engine::FinishKind::kToolCalls, {}, {}});
  last.finished = true;
  last.usage = {4, 3, 0};
  script.updates = {first, second, last};
  engine_->push_script(script);
  engine_->push_script(script);
  json body = chat_body();
  body["tools"] = json::parse(R"([{"type":"function","function":{"name":"get_weather","parameters":{}}}])");
  auto res = post("/v1/chat/completions", body);
  ASSERT_EQ(res->status, 200) << res->body;
  json message = json::parse(res->body)["choices"][0]["message"];
  EXPECT_EQ(message["reasoning_content"], "think");
  EXPECT_EQ(message["reasoning"], "think");
  EXPECT_TRUE(message["content"].is_null());
  EXPECT_EQ(message["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(message["tool_calls"][0]["function"]["arguments"], "{\"city\": \"Paris\"}");
  EXPECT_EQ(json::parse(res->body)["choices"][0]["finish_reason"], "tool_calls");

  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto streamed = post("/v1/chat/completions", body);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "text/event-stream");
  bool done = false;
  std::vector<json> events = sse_events(streamed->body, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(events[1]["choices"][0]["delta"]["reasoning_content"], "think");
  EXPECT_EQ(events[2]["choices"][0]["delta"]["tool_calls"][0]["id"], "call-1");
  EXPECT_FALSE(events[3]["choices"][0]["delta"]["tool_calls"][0].contains("id"));
  EXPECT_EQ(events[3]["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(events[4]["choices"].empty());
  EXPECT_EQ(events[4]["usage"]["total_tokens"], 7);
}

TEST_F(HttpServerTest, CompletionWithEchoLogprobsAndNEqualsTwo) {
  start();
  engine_->push_script(text_script({" a", " b"}, engine::FinishKind::kLength, /*n=*/2));
  json body = {{"prompt", "Say"}, {"max_tokens", 2}, {"echo", true}, {"logprobs", 1}, {"n", 2},
               {"temperature", 1.0}};
  auto res = post("/v1/completions", body);
  ASSERT_EQ(res->status, 200) << res->body;
  json answer = json::parse(res->body);
  ASSERT_EQ(answer["choices"].size(), 2u);
  EXPECT_EQ(answer["choices"][1]["index"], 1);
  EXPECT_EQ(answer["choices"][0]["text"], "Say a b");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(answer["choices"][0]["logprobs"]["tokens"], json({" a", " b"}));
  EXPECT_EQ(answer["choices"][0]["logprobs"]["text_offset"], json({3, 5}));
  EXPECT_TRUE(engine_->submitted()[0].prompt.text.has_value());
}

TEST_F(HttpServerTest, ApiKeysGuardEveryRouteButThePublicOnes) {
  ServeConfig config;
  config.api_keys = {"k1", "k2"};
  start(config);
  EXPECT_EQ(post("/v1/chat/completions", chat_body())->status, 401);
  EXPECT_EQ(post("/v1/chat/completions", chat_body(), "wrong")->status, 401);
  EXPECT_EQ(post("/v1/chat/completions", chat_body(), "k2")->status, 200);
  EXPECT_EQ(client().Get("/v1/models")->status, 401);
  EXPECT_EQ(client().Get("/nowhere")->status, 401);
  EXPECT_EQ(client("k1").Get("/nowhere")->status, 404);
  EXPECT_EQ(client().Get("/health")->status, 200);
  EXPECT_EQ(client().Get("/version")->status, 200);
  EXPECT_EQ(client().Get("/metrics")->status, 200);
  auto unauthorized = client().Get("/v1/models");
  EXPECT_EQ(json::parse(unauthorized->body)["error"]["code"], "invalid_api_key");
}

TEST_F(HttpServerTest, RoutingAndBodyErrorsAreOpenAiErrors) {
  ServeConfig config;
  config.max_request_body_bytes = 20000;
  start(config);
  auto not_found = client().Get("/v2/nothing");
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(json::parse(not_found->body)["error"]["type"], "invalid_request_error");
  auto wrong_method = client().Get("/v1/chat/completions");
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST");
  auto too_large = client().Post("/v1/completions", std::string(30000, ' '), "application/json");
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(json::parse(too_large->body)["error"]["code"], "request_too_large");
  auto not_json = client().Post("/v1/completions", "{", "application/json");
  EXPECT_EQ(not_json->status, 400);
  auto wrong_model = post("/v1/chat/completions", {{"model", "other"}, {"messages", chat_body()["messages"]}});
  EXPECT_EQ(wrong_model->status, 404);
  engine_->fail_next_submit(base::invalid_argument("the prompt has 5000 tokens, more than /models/tiny allows"));
  auto engine_refused = post("/v1/chat/completions", chat_body());
  EXPECT_EQ(engine_refused->status, 400);
  EXPECT_EQ(engine_refused->body.find("/models"), std::string::npos) << engine_refused->body;
  auto long_ids = post("/v1/completions", {{"prompt", std::vector<int>(4000, 1)}, {"max_tokens", 200}});
  EXPECT_EQ(long_ids->status, 400);
  EXPECT_EQ(json::parse(long_ids->body)["error"]["code"], "context_length_exceeded");
}

TEST_F(HttpServerTest, RequestIdHeadersOnEveryAnswer) {
  ServeConfig config;
  config.enable_request_id_headers = true;
  config.api_keys = {"k"};
  start(config);
  const httplib::Headers traced = {{"X-Request-Id", "trace-42"}};
  auto cli = client("k");
  // The client's id is echoed and names the response, as in vLLM.
  auto answer = cli.Post("/v1/chat/completions", traced, chat_body().dump(), "application/json");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(answer->get_header_value("X-Request-Id"), "trace-42");
  EXPECT_EQ(json::parse(answer->body)["id"], "chatcmpl-trace-42");
  // Without one, the header is the response's id; streams carry it too.
  auto plain = post("/v1/completions", {{"prompt", "hi"}, {"max_tokens", 2}}, "k");
  ASSERT_EQ(plain->status, 200);
  EXPECT_EQ(plain->get_header_value("X-Request-Id"), json::parse(plain->body)["id"].get<std::string>());
  auto stream = cli.Post("/v1/chat/completions", traced, chat_body(true).dump(), "application/json");
  ASSERT_EQ(stream->status, 200);
  EXPECT_EQ(stream->get_header_value("X-Request-Id"), "trace-42");
  bool done = false;
  EXPECT_EQ(sse_events(stream->body, &done).front()["id"], "chatcmpl-trace-42");
  // Errors: the auth refusal (before routing), an unknown route, a malformed body.
  auto unauthorized = client().Get("/v1/models", traced);
  EXPECT_EQ(unauthorized->status, 401);
  EXPECT_EQ(unauthorized->get_header_value("X-Request-Id"), "trace-42");
  auto not_found = cli.Get("/nowhere");
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->get_header_value("X-Request-Id").size(), 32u);
  auto malformed = cli.Post("/v1/completions", "{", "application/json");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(malformed->get_header_value("X-Request-Id").rfind("cmpl-", 0), 0u);
  // An id fovea does not accept (too long) is replaced, not echoed.
  const std::string long_id(kMaxClientRequestIdChars + 1, 'a');
  auto replaced = cli.Get("/v1/models", {{"X-Request-Id", long_id}});
  EXPECT_EQ(replaced->status, 200);
  EXPECT_EQ(replaced->get_header_value("X-Request-Id").size(), 32u);
}

TEST_F(HttpServerTest, NoRequestIdHeaderUnlessAskedButTheIdStillNamesTheResponse) {
  start();
  auto models = client().Get("/v1/models");
  EXPECT_FALSE(models->has_header("X-Request-Id"));
  auto answer =
      client().Post("/v1/chat/completions", {{"X-Request-Id", "mine"}}, chat_body().dump(), "application/json");
  ASSERT_EQ(answer->status, 200);
  EXPECT_FALSE(answer->has_header("X-Request-Id"));
  EXPECT_EQ(json::parse(answer->body)["id"], "chatcmpl-mine");
}

TEST_F(HttpServerTest, AFullQueueAnswers503WithRetryAfter) {
  ServeConfig config;
  config.max_queue_len = 1;  // with max_num_seqs 1: two requests in flight at most
  start(config);
  Script held = text_script({"x"}, engine::FinishKind::kStop);
  held.hold = true;
  engine_->push_script(held);
  std::vector<std::thread> clients;
  std::atomic<int> num_ok{0};
  for (int idx = 0; idx < 2; ++idx) {
    clients.emplace_back([&] {
      auto res = post("/v1/chat/completions", chat_body());
      if (res && res->status == 200) ++num_ok;
    });
  }
  for (int wait_idx = 0; wait_idx < 200 && context_->num_in_flight() < 2; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto rejected = post("/v1/chat/completions", chat_body());
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(rejected->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(rejected->body)["error"]["code"], "server_overloaded");
  engine_->release();
  for (std::thread& thread : clients) thread.join();
  EXPECT_EQ(num_ok.load(), 2);
  engine_->fail_next_submit(base::make_error(base::StatusCode::kUnavailable, "the waiting queue is full"));
  EXPECT_EQ(post("/v1/chat/completions", chat_body())->status, 503);
  const std::string metrics = client().Get("/metrics")->body;
  EXPECT_NE(metrics.find("vllm:admission_rejections_total{model_name=\"tiny\",reason=\"max_queue_len\"} 1.0"),
            std::string::npos);
}

TEST_F(HttpServerTest, AClientThatDisconnectsCancelsItsStream) {
  start();
  Script endless = text_script({"x"}, engine::FinishKind::kNone);
  endless.updates[0].finished = false;
  endless.endless = true;
  endless.delay = std::chrono::milliseconds(5);
  engine_->push_script(endless);
  {
    httplib::Client cli("127.0.0.1", port_);
    int num_chunks = 0;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.body = chat_body(true).dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++num_chunks < 3; };
    auto res = cli.send(req);
    EXPECT_GE(num_chunks, 3);
  }
  for (int wait_idx = 0; wait_idx < 300 && engine_->num_cancelled() == 0; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(engine_->num_cancelled(), 1);
  for (int wait_idx = 0; wait_idx < 300 && context_->num_in_flight() > 0; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(context_->num_in_flight(), 0);
}

TEST_F(HttpServerTest, RequestTimeoutIs504AndCancels) {
  ServeConfig config;
  config.request_timeout_s = 0.2;
  start(config);
  Script held = text_script({"x"}, engine::FinishKind::kStop);
  held.hold = true;
  engine_->push_script(held);
  auto res = post("/v1/chat/completions", chat_body());
  EXPECT_EQ(res->status, 504);
  EXPECT_EQ(engine_->num_cancelled(), 1);
}

TEST_F(HttpServerTest, DrainingRefusesNewWorkAndHealthTurns503) {
  start();
  context_->start_draining();
  EXPECT_EQ(client().Get("/health")->status, 503);
  auto refused = post("/v1/chat/completions", chat_body());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(json::parse(refused->body)["error"]["code"], "server_draining");
  EXPECT_EQ(client().Get("/health/live")->status, 200);
}

TEST_F(HttpServerTest, MetricsCarryEngineStatsAndRequestHistograms) {
  start();
  engine_->stats_.num_running = 2;
  engine_->stats_.kv_cache_usage = 0.25;
  engine_->stats_.prompt_tokens_total = 40;
  engine_->stats_.prefix_cache_hits = 16;
  ASSERT_EQ(post("/v1/chat/completions", chat_body())->status, 200);
  // The HTTP request counter is bumped once the response has been written, which may be after the client has
  // read it: wait for it (at most a second) before reading the rest.
  const std::string http_line =
      "fovea:http_requests_total{model_name=\"tiny\",route=\"/v1/chat/completions\",status=\"200\"}";
  std::string text = client().Get("/metrics")->body;
  for (int attempt = 0; attempt < 100 && text.find(http_line) == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    text = client().Get("/metrics")->body;
  }
  for (const char* line :
       {"vllm:num_requests_running{model_name=\"tiny\",engine=\"0\"} 2.0",
        "vllm:kv_cache_usage_perc{model_name=\"tiny\",engine=\"0\"} 0.25",
        "vllm:prompt_tokens_total{model_name=\"tiny\",engine=\"0\"} 40.0",
        "vllm:prefix_cache_hits_total{model_name=\"tiny\",engine=\"0\"} 16.0",
        "vllm:time_to_first_token_seconds_count{model_name=\"tiny\",engine=\"0\"} 1",
        "vllm:e2e_request_latency_seconds_count{model_name=\"tiny\",engine=\"0\"} 1",
        "vllm:request_success_total{model_name=\"tiny\",engine=\"0\",finished_reason=\"stop\"} 1.0"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_NE(text.find(http_line), std::string::npos);
}

TEST_F(HttpServerTest, TokenizeAndDetokenizeUseTheEngineTokenizer) {
  start();
  auto tokenized = post("/tokenize", {{"prompt", "hello world"}, {"return_token_strs", true}});
  ASSERT_EQ(tokenized->status, 200) << tokenized->body;
  json answer = json::parse(tokenized->body);
  EXPECT_EQ(answer["max_model_len"], 4096);
  EXPECT_EQ(answer["count"], answer["tokens"].size());
  auto detokenized = post("/detokenize", {{"tokens", answer["tokens"]}});
  ASSERT_EQ(detokenized->status, 200);
  EXPECT_EQ(json::parse(detokenized->body)["prompt"], "hello world");
  EXPECT_EQ(post("/detokenize", {{"tokens", {999999}}})->status, 400);
  auto models = client().Get("/v1/models");
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "tiny");
  EXPECT_EQ(models->body.find("/models/tiny"), std::string::npos);
}

}  // namespace
}  // namespace fovea::serve
