// Engine::start's settings on the tiny Qwen3 checkpoint (CPU, float32): device selection and its errors, the KV-cache
// sizing rule it is handed (or the default without one), --max-model-len and the kOutOfRange of prompts that do not
// fit, --seed for unseeded requests, --load-format dummy and the --chat-template override.
#include "engine/runtime/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "backend/cuda/cuda_factory.h"
#include "text/tokenizer.h"

namespace fovea::engine {
namespace {

const std::string kModelDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/checkpoints/qwen3-tiny";
constexpr auto kTimeout = std::chrono::seconds(60);

EngineConfig tiny_config() {
  EngineConfig config;
  config.model_dir = kModelDir;
  config.device = "cpu";
  config.dtype = "float32";
  config.max_model_len = 256;
  config.max_num_seqs = 4;
  config.max_num_batched_tokens = 256;
  config.num_threads = 1;
  return config;
}

std::unique_ptr<Engine> start(const EngineConfig& config) {
  auto engine = Engine::start(config);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

GenerateRequest ids_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                            std::optional<int64_t> max_tokens, double temperature) {
  GenerateRequest request;
  request.request_id = request_id;
  request.prompt.token_ids = std::move(prompt_ids);
  request.sampling.max_tokens = max_tokens;
  request.sampling.temperature = temperature;
  request.sampling.ignore_eos = true;
  request.output.return_token_ids = true;
  return request;
}

struct Outcome {
  std::vector<int32_t> tokens;
  int64_t num_prompt_tokens = 0;
};

Outcome run(Engine& engine, GenerateRequest request) {
  Outcome out;
  auto stream = engine.submit(std::move(request));
  if (!stream.ok()) {
    ADD_FAILURE() << stream.status().message();
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto update = (*stream)->next(std::chrono::milliseconds(100));
    if (!update) continue;
    for (const ChoiceUpdate& choice : update->choices) {
      out.tokens.insert(out.tokens.end(), choice.token_ids.begin(), choice.token_ids.end());
    }
    if (update->finished) {
      out.num_prompt_tokens = update->usage.prompt_tokens;
      return out;
    }
  }
  ADD_FAILURE() << "the request did not finish in time";
  return out;
}

std::vector<int32_t> prompt_ids() { return {11, 42, 7, 99, 5, 300, 8}; }

TEST(EngineStartTest, UnknownDeviceIsAnError) {
  EngineConfig config = tiny_config();
  config.device = "tpu";
  auto engine = Engine::start(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("auto, cpu, cuda or cuda:N"), std::string::npos);
}

TEST(EngineStartTest, CudaWithoutACardSaysWhatToPass) {
  if (backend::cuda::cuda_device_count() > 0) GTEST_SKIP() << "this machine has a CUDA card";
  EngineConfig config = tiny_config();
  for (const char* device : {"cuda", "cuda:1"}) {
    config.device = device;
    auto engine = Engine::start(config);
    ASSERT_FALSE(engine.ok()) << device;
    EXPECT_NE(engine.status().message().find("--device cpu"), std::string::npos) << engine.status().message();
    EXPECT_EQ(engine.status().message().find('\n'), std::string::npos);
  }
  config.device = "auto";
  auto engine = start(config);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->info().device, "cpu");
}

TEST(EngineStartTest, WithoutASizerTheCacheHoldsMaxNumSeqsSequences) {
  auto engine = start(tiny_config());
  ASSERT_NE(engine, nullptr);
  const EngineInfo& info = engine->info();
  EXPECT_EQ(info.num_kv_blocks, 4 * 256 / 16);
  EXPECT_EQ(info.kv_cache_tokens, 4 * 256);
  EXPECT_DOUBLE_EQ(info.max_concurrency, 4.0);
  EXPECT_EQ(info.max_model_len, 256);
  EXPECT_EQ(info.dtype, "float32");
  EXPECT_EQ(info.kv_cache_dtype, "float32");
  EXPECT_EQ(info.quantization, "none");
  EXPECT_EQ(info.load_format, "safetensors");
}

TEST(EngineStartTest, TheSizerGetsTheMemoryAndTheShapeAndDecides) {
  EngineConfig config = tiny_config();
  config.max_model_len_auto_fit = true;
  KvCacheSizingInput seen;
  config.kv_cache_sizer = [&seen](const KvCacheSizingInput& input) -> base::Result<KvCacheSizing> {
    seen = input;
    return KvCacheSizing{50, 200};
  };
  auto engine = start(config);
  ASSERT_NE(engine, nullptr);
  ASSERT_NE(seen.text_config, nullptr);
  EXPECT_EQ(seen.text_config->num_hidden_layers, 2);
  EXPECT_EQ(seen.kv_element_bytes, 4);
  EXPECT_EQ(seen.block_size_tokens, 16);
  EXPECT_EQ(seen.max_model_len, 256);
  EXPECT_TRUE(seen.max_model_len_auto_fit);
  EXPECT_GT(seen.total_bytes, 0u);
  EXPECT_EQ(seen.total_bytes, seen.free_bytes);  // the CPU's share of free host memory
  EXPECT_DOUBLE_EQ(seen.memory_utilization, config.memory_utilization);
  const EngineInfo& info = engine->info();
  EXPECT_EQ(info.max_model_len, 200);
  EXPECT_EQ(info.num_kv_blocks, 50);
  EXPECT_DOUBLE_EQ(info.max_concurrency, 50.0 / 13.0);  // 200 tokens take 13 blocks
  // The shortened length is the context: a 195-token prompt leaves room for 5 tokens.
  std::vector<int32_t> long_prompt(195, 17);
  EXPECT_EQ(run(*engine, ids_request("fits", long_prompt, 5, 0.0)).tokens.size(), 5u);
  auto refused = engine->submit(ids_request("too-long", std::vector<int32_t>(200, 17), 1, 0.0));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kOutOfRange);
}

TEST(EngineStartTest, OnTheCpuTheSizersCacheIsCappedAtMaxNumSeqsSequences) {
  EngineConfig config = tiny_config();
  config.kv_cache_sizer = [](const KvCacheSizingInput& input) -> base::Result<KvCacheSizing> {
    return KvCacheSizing{100000, input.max_model_len};
  };
  auto engine = start(config);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->info().num_kv_blocks, 4 * 256 / 16);
}

TEST(EngineStartTest, ASizerErrorStopsTheStart) {
  EngineConfig config = tiny_config();
  config.kv_cache_sizer = [](const KvCacheSizingInput&) -> base::Result<KvCacheSizing> {
    return base::make_error(base::StatusCode::kResourceExhausted, "set --max-model-len 100 or less");
  };
  auto engine = Engine::start(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().message(), "set --max-model-len 100 or less");
}

TEST(EngineStartTest, PromptsThatDoNotFitAreOutOfRange) {
  EngineConfig config = tiny_config();
  config.max_model_len = 32;
  auto engine = start(config);
  ASSERT_NE(engine, nullptr);
  auto too_long = engine->submit(ids_request("a", std::vector<int32_t>(32, 17), std::nullopt, 0.0));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), base::StatusCode::kOutOfRange);
  EXPECT_NE(too_long.status().message().find("maximum context length is 32 tokens"), std::string::npos);
  auto too_many = engine->submit(ids_request("b", std::vector<int32_t>(10, 17), 30, 0.0));
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), base::StatusCode::kOutOfRange);
  EXPECT_NE(too_many.status().message().find("asks for 30 output tokens"), std::string::npos);
  EXPECT_EQ(run(*engine, ids_request("c", std::vector<int32_t>(10, 17), 22, 0.0)).tokens.size(), 22u);
  // Without max_tokens the output is bounded by the room left.
  EXPECT_EQ(run(*engine, ids_request("d", std::vector<int32_t>(30, 17), std::nullopt, 0.0)).tokens.size(), 2u);
}

std::vector<std::vector<int32_t>> sampled(Engine& engine) {
  std::vector<std::vector<int32_t>> out;
  for (int request_idx = 0; request_idx < 3; ++request_idx) {
    out.push_back(run(engine, ids_request("s" + std::to_string(request_idx), prompt_ids(), 12, 1.0)).tokens);
  }
  return out;
}

TEST(EngineStartTest, SeedMakesUnseededSamplingRepeat) {
  EngineConfig config = tiny_config();
  config.seed = 5;
  auto first = start(config);
  ASSERT_NE(first, nullptr);
  const auto tokens = sampled(*first);
  first.reset();
  auto second = start(config);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(sampled(*second), tokens);
  config.seed = 6;
  auto other = start(config);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(sampled(*other), tokens);
  EXPECT_NE(tokens[0], tokens[1]);  // each request draws its own seed
}

TEST(EngineStartTest, DummyWeightsAreSeededAndNotTheCheckpoints) {
  EngineConfig config = tiny_config();
  auto real = start(config);
  ASSERT_NE(real, nullptr);
  const auto real_tokens = run(*real, ids_request("r", prompt_ids(), 16, 0.0)).tokens;
  config.load_format = "dummy";
  config.seed = 1;
  auto dummy = start(config);
  ASSERT_NE(dummy, nullptr);
  EXPECT_EQ(dummy->info().load_format, "dummy");
  const auto dummy_tokens = run(*dummy, ids_request("d", prompt_ids(), 16, 0.0)).tokens;
  EXPECT_EQ(dummy_tokens.size(), 16u);
  EXPECT_NE(dummy_tokens, real_tokens);
  auto again = start(config);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(run(*again, ids_request("d", prompt_ids(), 16, 0.0)).tokens, dummy_tokens);
  config.load_format = "pt";
  EXPECT_FALSE(Engine::start(config).ok());
}

TEST(EngineStartTest, ChatTemplateOverrideReplacesTheFoldersTemplate) {
  EngineConfig config = tiny_config();
  config.chat_template = "<<{% for m in messages %}{{ m['role'] }}={{ m['content'] }};{% endfor %}>>";
  auto engine = start(config);
  ASSERT_NE(engine, nullptr);
  GenerateRequest request = ids_request("t", {}, 1, 0.0);
  request.prompt.token_ids.reset();
  request.prompt.chat.emplace();
  request.prompt.chat->messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hello there"}])");
  auto expected = engine->tokenizer().encode("<<user=hello there;>>", false);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(run(*engine, std::move(request)).num_prompt_tokens, static_cast<int64_t>(expected->size()));
  config.chat_template = "{% for %}";
  auto broken = Engine::start(config);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("--chat-template"), std::string::npos);
}

}  // namespace
}  // namespace fovea::engine
