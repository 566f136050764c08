// ServeConfig -> EngineConfig: --device cuda:N, --seed, --load-format, --max-model-len auto, --chat-template (vLLM's
// file-or-template rule with backslash escapes), --override-generation-config, --generation-config DIR, the refusal
// of --tensor-parallel-size > 1, --media-fetch-timeout (flag or environment), --enforce-eager,
// --disable-custom-all-reduce (engine and planner), and the KV-cache sizing rule the engine is handed
// (plan::plan_kv_cache).
#include "serve/engine_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "serve/serve_flags.h"
#include "serve/startup_summary.h"
#include "serve_test_util.h"

namespace fovea::serve {
namespace {

using testing::error_of;
using testing::parse_args;

ServeConfig parsed(std::vector<std::string> tokens) {
  auto result = parse_args(std::move(tokens));
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? result->config : ServeConfig{};
}

TEST(DeviceFlagTest, TakesCudaWithACardIndex) {
  ServeConfig c = parsed({"/m", "--device", "cuda:1"});
  EXPECT_EQ(c.device, DeviceKind::kCuda);
  EXPECT_EQ(c.cuda_device_index, 1);
  EXPECT_EQ(c.device_spec(), "cuda:1");
  EXPECT_EQ(serve_config_to_json(c)["device"], "cuda:1");
  EXPECT_EQ(parsed({"/m", "--device", "cuda"}).device_spec(), "cuda");
  EXPECT_EQ(parsed({"/m", "--device", "cuda:0"}).device_spec(), "cuda");
  EXPECT_EQ(parsed({"/m", "--device", "cuda:3", "--device", "cpu"}).device_spec(), "cpu");
  EXPECT_EQ(parsed({"/m"}).device_spec(), "auto");
}

TEST(DeviceFlagTest, RefusesBadCardNumbers) {
  for (const char* bad : {"cuda:x", "cuda:-1", "cuda:", "cuda:1.5"}) {
    const std::string message = error_of({"/m", "--device", bad});
    EXPECT_NE(message.find("--device"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("integer"), std::string::npos) << bad << ": " << message;
  }
  EXPECT_NE(error_of({"/m", "--device", "gpu"}).find("auto, cpu, cuda"), std::string::npos);
}

TEST(EngineConfigFromServeTest, CarriesTheStartupFlags) {
  ServeConfig c = parsed({"/m", "--device", "cuda:2", "--seed", "9", "--load-format", "dummy", "--max-model-len", "auto",
                          "--gpu-memory-utilization", "0.5", "--num-gpu-blocks-override", "77", "--chat-template",
                          "{{ messages[0]['content'] }}\\n", "--override-generation-config",
                          R"({"temperature": 0.5, "top_k": 7, "max_new_tokens": 64, "presence_penalty": 0.25})",
                          "--generation-config", "/gen"});
  auto result = engine_config_from_serve_config(c);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const engine::EngineConfig& e = *result;
  EXPECT_EQ(e.model_dir, "/m");
  EXPECT_EQ(e.device, "cuda:2");
  EXPECT_EQ(e.seed, uint64_t{9});
  EXPECT_EQ(e.load_format, "dummy");
  EXPECT_TRUE(e.max_model_len_auto_fit);
  EXPECT_FALSE(e.max_model_len.has_value());
  EXPECT_DOUBLE_EQ(e.memory_utilization, 0.5);
  EXPECT_EQ(e.num_kv_blocks, 77);
  EXPECT_TRUE(static_cast<bool>(e.kv_cache_sizer));
  EXPECT_EQ(e.chat_template, "{{ messages[0]['content'] }}\n");
  EXPECT_TRUE(e.use_generation_config);
  EXPECT_EQ(e.generation_config_dir, "/gen");
  EXPECT_EQ(e.generation_overrides.temperature, 0.5);
  EXPECT_EQ(e.generation_overrides.top_k, 7);
  EXPECT_EQ(e.generation_overrides.max_tokens, 64);
  EXPECT_EQ(e.generation_overrides.presence_penalty, 0.25);
  EXPECT_FALSE(e.generation_overrides.top_p.has_value());
}

TEST(EngineConfigFromServeTest, DefaultSeedIsVllmsZeroAndGenerationConfigVllmTurnsDefaultsOff) {
  auto e = engine_config_from_serve_config(parsed({"/m", "--generation-config", "vllm"}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->seed, uint64_t{0});
  EXPECT_FALSE(e->use_generation_config);
  EXPECT_TRUE(e->generation_config_dir.empty());
  EXPECT_EQ(e->load_format, "auto");
  EXPECT_EQ(e->device, "auto");
  EXPECT_TRUE(e->chat_template.empty());
}

TEST(EngineConfigFromServeTest, PassesTensorParallelism) {
  auto e = engine_config_from_serve_config(parsed({"/m", "-tp", "2", "--mm-encoder-tp-mode", "data"}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->tensor_parallel_size, 2);
  EXPECT_FALSE(e->shard_vision_weights);
  auto weights = engine_config_from_serve_config(parsed({"/m", "--tensor-parallel-size", "4"}));
  ASSERT_TRUE(weights.ok()) << weights.status().message();
  EXPECT_EQ(weights->tensor_parallel_size, 4);
  EXPECT_TRUE(weights->shard_vision_weights);
}

ParsedServeArgs parsed_with_env(std::vector<std::string> tokens, std::map<std::string, std::string> env) {
  auto result = parse_args(std::move(tokens), std::move(env));
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : ParsedServeArgs{};
}

int64_t fetch_timeout_ms(const ServeConfig& config) {
  auto e = engine_config_from_serve_config(config);
  EXPECT_TRUE(e.ok()) << e.status().message();
  return e.ok() ? e->media.fetch_timeout_ms : -1;
}

TEST(MediaFetchTimeoutTest, FlagThenFoveaThenVllmEnvironmentThenTheEngineDefault) {
  EXPECT_EQ(fetch_timeout_ms(parsed({"/m"})), engine::MediaAccess().fetch_timeout_ms);
  EXPECT_EQ(serve_config_to_json(parsed({"/m"}))["media-fetch-timeout"], nullptr);
  const ServeConfig from_flag = parsed({"/m", "--media-fetch-timeout", "2.5"});
  EXPECT_EQ(fetch_timeout_ms(from_flag), 2500);
  EXPECT_EQ(serve_config_to_json(from_flag)["media-fetch-timeout"], 2.5);

  const ParsedServeArgs vllm = parsed_with_env({"/m"}, {{"VLLM_IMAGE_FETCH_TIMEOUT", "4"}});
  EXPECT_EQ(fetch_timeout_ms(vllm.config), 4000);
  EXPECT_TRUE(testing::has_note_containing(vllm, "VLLM_IMAGE_FETCH_TIMEOUT"));
  const ParsedServeArgs both =
      parsed_with_env({"/m"}, {{"VLLM_IMAGE_FETCH_TIMEOUT", "4"}, {"FOVEA_IMAGE_FETCH_TIMEOUT", "3"}});
  EXPECT_EQ(fetch_timeout_ms(both.config), 3000);
  const ParsedServeArgs flag_wins =
      parsed_with_env({"/m", "--media-fetch-timeout", "1"}, {{"FOVEA_IMAGE_FETCH_TIMEOUT", "3"}});
  EXPECT_EQ(fetch_timeout_ms(flag_wins.config), 1000);
  EXPECT_FALSE(testing::has_note_containing(flag_wins, "FOVEA_IMAGE_FETCH_TIMEOUT"));
}

TEST(MediaFetchTimeoutTest, RefusesTimesThatAreNotPositiveSeconds) {
  for (const char* bad : {"0", "-1", "abc", "1e9"}) {
    const std::string message = error_of({"/m", "--media-fetch-timeout", bad});
    EXPECT_NE(message.find("--media-fetch-timeout"), std::string::npos) << bad << ": " << message;
  }
  const std::string from_env = error_of({"/m"}, {{"VLLM_IMAGE_FETCH_TIMEOUT", "five"}});
  EXPECT_NE(from_env.find("VLLM_IMAGE_FETCH_TIMEOUT"), std::string::npos) << from_env;
  EXPECT_EQ(from_env.find('\n'), std::string::npos) << from_env;
}

TEST(EnforceEagerTest, IsVllmsSwitchAndReachesTheEngine) {
  const ParsedServeArgs on = parsed_with_env({"/m", "--enforce-eager"}, {});
  EXPECT_TRUE(on.config.enforce_eager);
  // A flag fovea implements: no "has no effect" note.
  EXPECT_FALSE(testing::has_note_containing(on, "enforce-eager"));
  EXPECT_EQ(serve_config_to_json(on.config)["enforce-eager"], true);
  auto e = engine_config_from_serve_config(on.config);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->enforce_eager);
  EXPECT_FALSE(parsed({"/m"}).enforce_eager);
  EXPECT_FALSE(parsed({"/m", "--enforce-eager", "--no-enforce-eager"}).enforce_eager);
  EXPECT_FALSE(engine::EngineConfig().enforce_eager);
}

TEST(DisableCustomAllReduceTest, ReachesTheEngineAndThePlanner) {
  const ParsedServeArgs on = parsed_with_env({"/m", "--disable-custom-all-reduce"}, {});
  EXPECT_EQ(serve_config_to_json(on.config)["disable-custom-all-reduce"], true);
  auto e = engine_config_from_serve_config(on.config);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->disable_custom_all_reduce);
  EXPECT_TRUE(plan_options_from_serve_config(on.config).disable_custom_all_reduce);

  const ServeConfig off = parsed({"/m"});
  EXPECT_EQ(serve_config_to_json(off)["disable-custom-all-reduce"], false);
  auto e_off = engine_config_from_serve_config(off);
  ASSERT_TRUE(e_off.ok()) << e_off.status().message();
  EXPECT_FALSE(e_off->disable_custom_all_reduce);
  EXPECT_FALSE(plan_options_from_serve_config(off).disable_custom_all_reduce);
  EXPECT_FALSE(engine::EngineConfig().disable_custom_all_reduce);
}

TEST(AllowedMediaDomainsTest, HelpSaysAnEmptyListRefusesHttpUrls) {
  const std::string usage = serve_flags_usage();
  const size_t row = usage.find("--allowed-media-domains");
  ASSERT_NE(row, std::string::npos);
  const std::string line = usage.substr(row, usage.find('\n', row) - row);
  EXPECT_NE(line.find("refused"), std::string::npos) << line;
}

TEST(ChatTemplateFlagTest, ReadsAFile) {
  char path[] = "/tmp/fovea_template_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "{{ 'from file' }}\\n";
  auto text = read_chat_template_flag(path);
  std::remove(path);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, "{{ 'from file' }}\\n");  // a file's text is taken as written
}

TEST(ChatTemplateFlagTest, DecodesPythonEscapesOfAnInlineTemplate) {
  auto decoded = [](std::string_view value) {
    auto result = read_chat_template_flag(value);
    EXPECT_TRUE(result.ok()) << value << ": " << result.status().message();
    return result.ok() ? *result : std::string();
  };
  EXPECT_EQ(decoded("{{ a }}\\n{{ b }}\\t"), "{{ a }}\n{{ b }}\t");
  EXPECT_EQ(decoded("{{ '\\x41\\u00e9\\U0001F600' }}"), "{{ 'A\xc3\xa9\xf0\x9f\x98\x80' }}");
  EXPECT_EQ(decoded("{{ '\\101\\\\\\'\\q' }}"), "{{ 'A\\'\\q' }}");
  EXPECT_EQ(decoded("{{ 'd\xc3\xa9j\xc3\xa0' }}"), "{{ 'd\xc3\xa9j\xc3\xa0' }}");
  EXPECT_EQ(decoded("line one\nline two"), "line one\nline two");
}

TEST(ChatTemplateFlagTest, RefusesAMissingFileAndBadEscapes) {
  auto missing = read_chat_template_flag("/no/such/template.jinja");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--chat-template /no/such/template.jinja"), std::string::npos);
  for (const char* bad : {"{{ '\\x4' }}", "{{ '\\ud800' }}", "{{ '\\U00110000' }}", "{{ x }}\\u12"}) {
    auto result = read_chat_template_flag(bad);
    EXPECT_FALSE(result.ok()) << bad;
  }
}

// 3 layers x {K, V} x 2 KV heads x 16 dims x 4 bytes x 16 tokens = 12288 bytes per block.
io::TextConfig tiny_text() {
  io::TextConfig text;
  text.num_hidden_layers = 3;
  text.num_attention_heads = 4;
  text.num_key_value_heads = 2;
  text.head_dim = 16;
  text.max_position_embeddings = 8192;
  return text;
}

engine::KvCacheSizingInput sizing_input(const io::TextConfig& text) {
  engine::KvCacheSizingInput input;
  input.text_config = &text;
  input.kv_element_bytes = 4;
  input.block_size_tokens = 16;
  input.total_bytes = 10'000'000;
  input.free_bytes = 9'000'000;
  input.memory_utilization = 0.5;
  input.max_model_len = 1024;
  return input;
}

TEST(EngineKvSizingTest, BudgetIsTotalTimesUtilizationMinusUsed) {
  const io::TextConfig text = tiny_text();
  engine::KvCacheSizingInput input = sizing_input(text);
  auto sizing = size_engine_kv_cache(input);
  ASSERT_TRUE(sizing.ok()) << sizing.status().message();
  EXPECT_EQ(sizing->num_blocks, (5'000'000 - 1'000'000) / 12288);
  EXPECT_EQ(sizing->max_model_len, 1024);
  input.reserved_bytes = 1'000'000;
  EXPECT_EQ(size_engine_kv_cache(input)->num_blocks, (5'000'000 - 2'000'000) / 12288);
}

TEST(EngineKvSizingTest, OverridesReplaceTheFraction) {
  const io::TextConfig text = tiny_text();
  engine::KvCacheSizingInput input = sizing_input(text);
  input.num_gpu_blocks_override = 100;
  EXPECT_EQ(size_engine_kv_cache(input)->num_blocks, 100);
  input.num_gpu_blocks_override.reset();
  input.kv_cache_memory_bytes = 12288 * 70 + 5;
  EXPECT_EQ(size_engine_kv_cache(input)->num_blocks, 70);
  input.kv_cache_memory_bytes = 20'000'000;
  auto too_big = size_engine_kv_cache(input);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("--kv-cache-memory-bytes"), std::string::npos);
}

TEST(EngineKvSizingTest, AutoFitShortensAndAFixedLengthThatDoesNotFitIsRefused) {
  const io::TextConfig text = tiny_text();
  engine::KvCacheSizingInput input = sizing_input(text);
  const int64_t num_blocks = (5'000'000 - 1'000'000) / 12288;
  input.max_model_len = 8192;
  auto refused = size_engine_kv_cache(input);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find(fmt::format("--max-model-len {} or less", num_blocks * 16)),
            std::string::npos)
      << refused.status().message();
  input.max_model_len_auto_fit = true;
  auto fitted = size_engine_kv_cache(input);
  ASSERT_TRUE(fitted.ok()) << fitted.status().message();
  EXPECT_EQ(fitted->num_blocks, num_blocks);
  EXPECT_EQ(fitted->max_model_len, num_blocks * 16);
  input.max_model_len = 512;  // auto keeps a length that fits
  EXPECT_EQ(size_engine_kv_cache(input)->max_model_len, 512);
}

TEST(EngineKvSizingTest, NoMemoryLeftIsRefused) {
  const io::TextConfig text = tiny_text();
  engine::KvCacheSizingInput input = sizing_input(text);
  input.free_bytes = 4'000'000;  // 6 MB used of a 5 MB budget
  auto refused = size_engine_kv_cache(input);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--gpu-memory-utilization"), std::string::npos);
}

}  // namespace
}  // namespace fovea::serve
