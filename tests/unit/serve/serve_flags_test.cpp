// Command-line parsing of `fovea serve`: every flag fovea implements, vLLM's forms, suggestions for typos, the
// answers for vLLM-only flags, and the legacy --limit-mm-per-prompt syntax.
#include "serve/serve_flags.h"

#include <gtest/gtest.h>

#include "serve_test_util.h"

namespace fovea::serve {
namespace {

using testing::error_of;
using testing::has_note_containing;
using testing::parse_args;

TEST(ServeFlagsTest, DefaultsFollowVllm) {
  auto parsed = parse_args({"/models/qwen"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ServeConfig& c = parsed->config;
  EXPECT_EQ(c.model, "/models/qwen");
  EXPECT_EQ(c.primary_model_name(), "/models/qwen");
  EXPECT_EQ(c.port, 8000);
  EXPECT_EQ(c.host, "");
  EXPECT_DOUBLE_EQ(c.gpu_memory_utilization, 0.92);
  EXPECT_EQ(c.kv_cache_dtype, KvCacheDtype::kAuto);
  EXPECT_EQ(c.dtype, ModelDtype::kAuto);
  EXPECT_EQ(c.quantization, QuantizationMethod::kAuto);
  EXPECT_EQ(c.tensor_parallel_size, 1);
  EXPECT_EQ(c.block_size, 16);
  EXPECT_TRUE(c.enable_prefix_caching);
  EXPECT_EQ(c.max_logprobs, 20);
  EXPECT_EQ(c.seed, 0);
  EXPECT_EQ(c.limit_mm_per_prompt.num_images, 999);
  EXPECT_EQ(c.mm_encoder_tp_mode, MmEncoderTpMode::kWeights);
  EXPECT_FALSE(c.max_model_len_tokens.has_value());
  EXPECT_FALSE(c.max_num_seqs.has_value());
  EXPECT_TRUE(c.api_keys.empty());
  EXPECT_FALSE(c.enable_log_requests);
  EXPECT_EQ(c.generation_config, GenerationConfigSource::kAuto);
}

// The users' vLLM command line, flag for flag (Qwen3-VL-32B AWQ on 2 x RTX 4090).
TEST(ServeFlagsTest, UsersVllmCommandLine) {
  auto parsed = parse_args({"/models/Qwen3-VL-32B-Instruct-AWQ",
                            "--served-model-name",
                            "qwen3-vl",
                            "qwen",
                            "--host",
                            "0.0.0.0",
                            "--port",
                            "8001",
                            "--api-key",
                            "k1",
                            "--tensor-parallel-size",
                            "2",
                            "--max-model-len",
                            "128k",
                            "--max-num-seqs",
                            "8",
                            "--max-num-batched-tokens",
                            "8192",
                            "--gpu-memory-utilization",
                            "0.95",
                            "--kv-cache-dtype",
                            "fp8",
                            "--quantization",
                            "awq_marlin",
                            "--dtype",
                            "half",
                            "--limit-mm-per-prompt",
                            "{\"image\": 3, \"video\": 0}",
                            "--mm-encoder-tp-mode",
                            "data",
                            "--mm-processor-kwargs",
                            "{\"min_pixels\": 3136, \"max_pixels\": 1003520}",
                            "--enable-auto-tool-choice",
                            "--tool-call-parser",
                            "hermes",
                            "--reasoning-parser",
                            "qwen3",
                            "--trust-remote-code",
                            "--enable-prefix-caching",
                            "--seed",
                            "1234",
                            "--disable-log-requests"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ServeConfig& c = parsed->config;
  EXPECT_EQ(c.served_model_names, (std::vector<std::string>{"qwen3-vl", "qwen"}));
  EXPECT_EQ(c.primary_model_name(), "qwen3-vl");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 8001);
  EXPECT_EQ(c.api_keys, (std::vector<std::string>{"k1"}));
  EXPECT_EQ(c.tensor_parallel_size, 2);
  EXPECT_EQ(c.max_model_len_tokens, 128000);
  EXPECT_EQ(c.max_num_seqs, 8);
  EXPECT_EQ(c.max_num_batched_tokens, 8192);
  EXPECT_DOUBLE_EQ(c.gpu_memory_utilization, 0.95);
  EXPECT_EQ(c.kv_cache_dtype, KvCacheDtype::kFp8E4m3);
  EXPECT_EQ(c.quantization, QuantizationMethod::kAwqMarlin);
  EXPECT_EQ(c.dtype, ModelDtype::kFloat16);
  EXPECT_EQ(c.limit_mm_per_prompt.num_images, 3);
  EXPECT_EQ(c.limit_mm_per_prompt.num_videos, 0);
  EXPECT_EQ(c.mm_encoder_tp_mode, MmEncoderTpMode::kData);
  EXPECT_EQ(c.mm_processor_kwargs.min_pixels, 3136);
  EXPECT_EQ(c.mm_processor_kwargs.max_pixels, 1003520);
  EXPECT_TRUE(c.enable_auto_tool_choice);
  EXPECT_EQ(c.tool_call_parser, ToolCallParserKind::kHermes);
  EXPECT_EQ(c.reasoning_parser, ReasoningParserKind::kQwen3);
  EXPECT_EQ(c.seed, 1234);
  EXPECT_FALSE(c.enable_log_requests);
  EXPECT_TRUE(has_note_containing(*parsed, "--trust-remote-code has no effect"));
}

TEST(ServeFlagsTest, EveryRemainingFlag) {
  auto parsed = parse_args({"--model",
                            "/m",
                            "--max-num-queued-reqs",
                            "64",
                            "--kv-cache-memory-bytes",
                            "4G",
                            "--num-gpu-blocks-override",
                            "100",
                            "--allowed-local-media-path",
                            "/data/images",
                            "--allowed-media-domains",
                            "example.com",
                            "cdn.example.org",
                            "--chat-template",
                            "/t/chat.jinja",
                            "--chat-template-content-format",
                            "openai",
                            "--default-chat-template-kwargs",
                            "{\"enable_thinking\": false}",
                            "--response-role",
                            "bot",
                            "--generation-config",
                            "vllm",
                            "--override-generation-config",
                            "{\"temperature\": 0.7, \"top_k\": 20}",
                            "--no-enable-prefix-caching",
                            "--block-size",
                            "32",
                            "--max-logprobs",
                            "5",
                            "--device",
                            "cuda",
                            "--load-format",
                            "safetensors",
                            "--enable-log-requests",
                            "--disable-log-stats",
                            "--max-log-len",
                            "100",
                            "--uvicorn-log-level",
                            "warning",
                            "--log-level",
                            "DEBUG",
                            "--enable-request-id-headers",
                            "--enable-prompt-tokens-details",
                            "--enable-force-include-usage",
                            "--metrics-require-auth",
                            "--max-queue-len",
                            "32",
                            "--drain-timeout",
                            "12.5",
                            "--request-timeout",
                            "600",
                            "--max-request-body-bytes",
                            "16M",
                            "--device-memory-utilization",
                            "0.5"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ServeConfig& c = parsed->config;
  EXPECT_EQ(c.model, "/m");
  EXPECT_EQ(c.max_num_queued_reqs, 64);
  EXPECT_EQ(c.kv_cache_memory_bytes, int64_t{4} << 30);
  EXPECT_EQ(c.num_gpu_blocks_override, 100);
  EXPECT_EQ(c.allowed_local_media_path, "/data/images");
  EXPECT_EQ(c.allowed_media_domains, (std::vector<std::string>{"example.com", "cdn.example.org"}));
  EXPECT_EQ(c.chat_template, "/t/chat.jinja");
  EXPECT_FALSE(c.chat_template_is_inline());
  EXPECT_EQ(c.chat_template_content_format, ChatTemplateContentFormat::kOpenai);
  EXPECT_EQ(c.default_chat_template_kwargs, nlohmann::json({{"enable_thinking", false}}));
  EXPECT_EQ(c.response_role, "bot");
  EXPECT_EQ(c.generation_config, GenerationConfigSource::kVllm);
  EXPECT_EQ(c.override_generation_config["top_k"], 20);
  EXPECT_FALSE(c.enable_prefix_caching);
  EXPECT_EQ(c.block_size, 32);
  EXPECT_EQ(c.max_logprobs, 5);
  EXPECT_EQ(c.device, DeviceKind::kCuda);
  EXPECT_EQ(c.load_format, LoadFormat::kSafetensors);
  EXPECT_TRUE(c.enable_log_requests);
  EXPECT_TRUE(c.disable_log_stats);
  EXPECT_EQ(c.max_log_len, 100);
  EXPECT_EQ(c.uvicorn_log_level, LogLevel::kWarning);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_TRUE(c.enable_request_id_headers);
  EXPECT_TRUE(c.enable_prompt_tokens_details);
  EXPECT_TRUE(c.enable_force_include_usage);
  EXPECT_TRUE(c.metrics_require_auth);
  EXPECT_EQ(c.max_queue_len, 32);
  EXPECT_DOUBLE_EQ(c.drain_timeout_s, 12.5);
  EXPECT_DOUBLE_EQ(c.request_timeout_s, 600.0);
  EXPECT_EQ(c.max_request_body_bytes, 16 << 20);
  EXPECT_DOUBLE_EQ(c.gpu_memory_utilization, 0.5);
}

TEST(ServeFlagsTest, EqualsFormsUnderscoresShortFlagsAndNegativeValues) {
  auto parsed = parse_args({"/m", "--max_model_len=32768", "-tp", "4", "-q=gptq", "--seed", "-5", "--port=9000",
                            "--generation-config", "/gen", "--shutdown-timeout", "7", "--chat-template",
                            "{{ messages }}", "--max-model-len", "auto"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->config.max_model_len_auto_fit);  // the later --max-model-len wins
  EXPECT_FALSE(parsed->config.max_model_len_tokens.has_value());
  EXPECT_EQ(parsed->config.tensor_parallel_size, 4);
  EXPECT_EQ(parsed->config.quantization, QuantizationMethod::kGptq);
  EXPECT_EQ(parsed->config.seed, -5);
  EXPECT_EQ(parsed->config.port, 9000);
  EXPECT_EQ(parsed->config.generation_config, GenerationConfigSource::kFolder);
  EXPECT_EQ(parsed->config.generation_config_dir, "/gen");
  EXPECT_DOUBLE_EQ(parsed->config.drain_timeout_s, 7.0);
  EXPECT_TRUE(parsed->config.chat_template_is_inline());
}

TEST(ServeFlagsTest, MaxModelLenForms) {
  const std::pair<const char*, int64_t> kCases[] = {{"131072", 131072}, {"128k", 128000}, {"128K", 131072},
                                                    {"1m", 1000000},    {"1M", 1048576},  {"25.6k", 25600}};
  for (const auto& [text, tokens] : kCases) {
    auto parsed = parse_args({"/m", "--max-model-len", text});
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    EXPECT_EQ(parsed->config.max_model_len_tokens, tokens) << text;
  }
  EXPECT_TRUE(parse_args({"/m", "--max-model-len", "-1"})->config.max_model_len_auto_fit);
  EXPECT_NE(error_of({"/m", "--max-model-len", "1.5K"}).find("did you mean 1.5k?"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--max-model-len", "lots"}).find("--max-model-len: 'lots' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of({"/m", "--max-model-len", "0"}).find("--max-model-len"), std::string::npos);
}

TEST(ServeFlagsTest, UnknownFlagSuggestsClosest) {
  EXPECT_EQ(error_of({"/m", "--max-model-length", "4096"}),
            "unknown flag --max-model-length; did you mean --max-model-len?");
  EXPECT_EQ(error_of({"/m", "--tensor-paralel-size", "2"}),
            "unknown flag --tensor-paralel-size; did you mean --tensor-parallel-size?");
  EXPECT_EQ(error_of({"/m", "--gpu-memory-utilisation", "0.9"}),
            "unknown flag --gpu-memory-utilisation; did you mean --gpu-memory-utilization?");
  EXPECT_EQ(error_of({"/m", "--kv-cache-type", "fp8"}), "unknown flag --kv-cache-type; did you mean --kv-cache-dtype?");
  EXPECT_NE(error_of({"/m", "--zzzzzzzzzzzz"}).find("fovea serve --help"), std::string::npos);
  EXPECT_NE(error_of({"/m", "-x", "1"}).find("unknown flag -x"), std::string::npos);
}

TEST(ServeFlagsTest, VllmOnlyFlagsAreNotSupportedRatherThanUnknown) {
  EXPECT_EQ(error_of({"/m", "--ssl-keyfile", "k.pem"}),
            "--ssl-keyfile is a vLLM flag that fovea does not support: fovea serves plain HTTP; terminate TLS in a "
            "reverse proxy in front of it");
  EXPECT_NE(error_of({"/m", "--speculative-config", "{}"}).find("does not support: fovea has no speculative"),
            std::string::npos);
  EXPECT_NE(error_of({"/m", "--enable-expert-parallel"}).find("is a vLLM flag that fovea does not support"),
            std::string::npos);
  EXPECT_NE(error_of({"/m", "--pipeline-parallel-size", "2"}).find("'2' is not supported by fovea"), std::string::npos);
  EXPECT_NE(error_of({"/m", "-pp", "2"}).find("-pp '2' is not supported by fovea"), std::string::npos);
  EXPECT_EQ(error_of({"/m", "--no-enable-chunked-prefill"}),
            "--no-enable-chunked-prefill is not supported by fovea: fovea always chunks long prefills; turning "
            "chunked prefill off is not supported");
  EXPECT_NE(error_of({"/m", "--enable-lora"}).find("LoRA"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--tokenizer", "/t"}).find("not support"), std::string::npos);
}

TEST(ServeFlagsTest, IgnoredVllmFlagsAreAcceptedWithANote) {
  auto parsed = parse_args({"/m", "--swap-space", "16", "--trust-remote-code", "--pipeline-parallel-size", "1",
                            "--enable-chunked-prefill", "--no-enable-lora", "-O3", "--distributed-executor-backend",
                            "mp", "--disable-frontend-multiprocessing", "--port", "8080"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->config.port, 8080);  // the value of --swap-space was consumed, later flags still parsed
  EXPECT_TRUE(has_note_containing(*parsed, "--swap-space has no effect in fovea"));
  EXPECT_TRUE(has_note_containing(*parsed, "--trust-remote-code has no effect in fovea"));
  EXPECT_TRUE(has_note_containing(*parsed, "-O has no effect in fovea"));
  EXPECT_TRUE(has_note_containing(*parsed, "--no-enable-lora has no effect"));
  EXPECT_EQ(parsed->notes.size(), 8u);
}

// --disable-custom-all-reduce was once accepted with a "has no effect" note; now it is fovea's own switch, applied
// (on the command line and in a --config file, with vLLM's underscore spelling too).
TEST(ServeFlagsTest, DisableCustomAllReduceIsAppliedNotIgnored) {
  auto parsed = parse_args({"/m", "--tensor-parallel-size", "2", "--disable-custom-all-reduce"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->config.disable_custom_all_reduce);
  EXPECT_FALSE(has_note_containing(*parsed, "custom-all-reduce"));
  EXPECT_TRUE(parsed->notes.empty());
  auto by_default = parse_args({"/m", "--tensor-parallel-size", "2"});
  ASSERT_TRUE(by_default.ok()) << by_default.status().message();
  EXPECT_FALSE(by_default->config.disable_custom_all_reduce);
  auto negated = parse_args({"/m", "--disable-custom-all-reduce", "--no-disable-custom-all-reduce"});
  ASSERT_TRUE(negated.ok()) << negated.status().message();
  EXPECT_FALSE(negated->config.disable_custom_all_reduce);
  auto from_file =
      parse_args({"--config", "serve.yaml"}, {}, {{"serve.yaml", "model: /m\ndisable_custom_all_reduce: true\n"}});
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_TRUE(from_file->config.disable_custom_all_reduce);
  EXPECT_FALSE(has_note_containing(*from_file, "custom"));
}

TEST(ServeFlagsTest, LegacyLimitMmSyntaxShowsTheJsonEquivalent) {
  EXPECT_EQ(error_of({"/m", "--limit-mm-per-prompt", "image=3,video=0"}),
            "--limit-mm-per-prompt: the key=value form 'image=3,video=0' is no longer accepted (vLLM moved to JSON); "
            "write --limit-mm-per-prompt '{\"image\":3,\"video\":0}'");
  EXPECT_NE(error_of({"/m", "--limit-mm-per-prompt=image=5"}).find("'{\"image\":5}'"), std::string::npos);
}

TEST(ServeFlagsTest, LimitMmDottedAndObjectForms) {
  auto dotted = parse_args({"/m", "--limit-mm-per-prompt.image", "2", "--limit-mm-per-prompt.video=0"});
  ASSERT_TRUE(dotted.ok()) << dotted.status().message();
  EXPECT_EQ(dotted->config.limit_mm_per_prompt.num_images, 2);
  EXPECT_EQ(dotted->config.limit_mm_per_prompt.num_videos, 0);
  auto object = parse_args({"/m", "--limit-mm-per-prompt", "{\"image\": {\"count\": 4, \"width\": 512}}"});
  ASSERT_TRUE(object.ok()) << object.status().message();
  EXPECT_EQ(object->config.limit_mm_per_prompt.num_images, 4);
  EXPECT_TRUE(has_note_containing(*object, "image.width is a vLLM profiling hint"));
  auto mm_kwargs = parse_args({"/m", "--mm-processor-kwargs.max_pixels", "1003520"});
  ASSERT_TRUE(mm_kwargs.ok()) << mm_kwargs.status().message();
  EXPECT_EQ(mm_kwargs->config.mm_processor_kwargs.max_pixels, 1003520);
  auto video = parse_args({"/m", "--limit-mm-per-prompt", "{\"image\": 1, \"video\": 2}"});
  ASSERT_TRUE(video.ok());
  EXPECT_TRUE(has_note_containing(*video, "requests with video are refused"));
  EXPECT_EQ(error_of({"/m", "--limit-mm-per-prompt", "{\"images\": 3}"}),
            "--limit-mm-per-prompt: images: is not a modality; use image, video or audio");
  EXPECT_NE(error_of({"/m", "--limit-mm-per-prompt", "{\"image\": -1}"}).find("count of items"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--port.x", "1"}).find("takes no .key parts"), std::string::npos);
}

TEST(ServeFlagsTest, ChoicesAreCheckedWithTheValidList) {
  EXPECT_EQ(error_of({"/m", "--mm-encoder-tp-mode", "replicate"}),
            "--mm-encoder-tp-mode: 'replicate' is not a valid choice; choose one of: weights, data");
  EXPECT_EQ(error_of({"/m", "--kv-cache-dtype", "fp16"}),
            "--kv-cache-dtype: 'fp16' is not a valid choice; choose one of: auto, float16, bfloat16, fp8, fp8_e4m3, "
            "fp8_e5m2 (did you mean float16?)");
  EXPECT_NE(
      error_of({"/m", "--kv-cache-dtype", "fp8_inc"}).find("is a vLLM KV-cache dtype that fovea does not support"),
      std::string::npos);
  EXPECT_NE(
      error_of({"/m", "--quantization", "gguf"}).find("is a vLLM quantization method that fovea does not support"),
      std::string::npos);
  EXPECT_NE(error_of({"/m", "-q", "awk"}).find("(did you mean awq?)"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--reasoning-parser", "glm45"}).find("fovea supports: qwen3, deepseek_r1"),
            std::string::npos);
  EXPECT_NE(error_of({"/m", "--tool-call-parser", "qwen3_xml"}).find("fovea supports: hermes"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--dtype", "fp32"}).find("(did you mean float32?)"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--device", "tpu"}).find("vLLM device"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--load-format", "gguf"}).find("vLLM load format"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--uvicorn-log-level", "loud"}).find("choose one of: critical"), std::string::npos);
  EXPECT_EQ(parse_args({"/m", "-q", "None"})->config.quantization, QuantizationMethod::kAuto);
}

TEST(ServeFlagsTest, SwitchesAndValues) {
  EXPECT_EQ(error_of({"/m", "--enable-prefix-caching=false"}),
            "--enable-prefix-caching takes no value; write --enable-prefix-caching or --no-enable-prefix-caching");
  EXPECT_EQ(error_of({"/m", "--enable-prefix-caching", "false"}),
            "unexpected argument 'false' (the model folder was already given); switches take no value: write "
            "--enable-prefix-caching or --no-enable-prefix-caching");
  EXPECT_EQ(error_of({"/m", "--port"}), "--port needs a value (PORT)");
  EXPECT_EQ(error_of({"/m", "--port", "--host", "x"}), "--port needs a value (PORT)");
  EXPECT_EQ(error_of({"/m", "--port", "http"}), "--port: expected an integer from 0 to 65535, not 'http'");
  EXPECT_EQ(error_of({"/m", "--api-key"}), "--api-key needs at least one value (KEY...)");
  EXPECT_EQ(error_of({"/m", "/other"}), "unexpected argument '/other' (the model folder was already given)");
  EXPECT_NE(error_of({"/m", "--model", "/n"}).find("given twice"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--gpu-memory-utilization", "0"}).find("(0, 1]"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--gpu-memory-utilization", "1.2"}).find("(0, 1]"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--default-chat-template-kwargs", "[1]"}).find("expected a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of({"/m", "--override-generation-config", "{\"temprature\": 1}"}).find("'temprature'"),
            std::string::npos);
  EXPECT_NE(
      error_of({"/m", "--mm-processor-kwargs", "{\"min_pixels\": 10, \"max_pixels\": 5}"}).find("must not exceed"),
      std::string::npos);
}

TEST(ServeFlagsTest, ApiKeysFromFlagsAndEnvironment) {
  auto several = parse_args({"/m", "--api-key", "a", "b", "--port", "1", "--api-key", "c"});
  ASSERT_TRUE(several.ok());
  EXPECT_EQ(several->config.api_keys, (std::vector<std::string>{"a", "b", "c"}));
  auto from_env = parse_args({"/m"}, {{"FOVEA_API_KEY", "x,y"}});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->config.api_keys, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(has_note_containing(*from_env, "FOVEA_API_KEY"));
  auto vllm_env = parse_args({"/m"}, {{"VLLM_API_KEY", "v"}});
  EXPECT_EQ(vllm_env->config.api_keys, (std::vector<std::string>{"v"}));
  auto flag_wins = parse_args({"/m", "--api-key", "f"}, {{"FOVEA_API_KEY", "e"}});
  EXPECT_EQ(flag_wins->config.api_keys, (std::vector<std::string>{"f"}));
  EXPECT_NE(error_of({"/m", "--api-key", ""}).find("must not be an empty string"), std::string::npos);
}

TEST(ServeFlagsTest, HelpAndUsage) {
  auto parsed = parse_args({"--help"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help_requested);
  const std::string usage = serve_flags_usage();
  for (const FlagSpec& spec : serve_flag_specs()) {
    EXPECT_NE(usage.find("--" + std::string(spec.name)), std::string::npos) << spec.name;
  }
}

TEST(ServeFlagsTest, MissingModel) {
  EXPECT_EQ(error_of({"--port", "8000"}),
            "no model folder given; pass it first (fovea serve MODEL_DIR [flags]), or as --model, or as model: in "
            "--config (from the repository root, no folder serves the demo model models/fovea-demo-vl)");
}

// Every error the parser gives is one line.
TEST(ServeFlagsTest, ErrorsAreOneLine) {
  const std::vector<std::vector<std::string>> kBad = {{"/m", "--max-model-length", "1"},
                                                      {"/m", "--ssl-keyfile", "x"},
                                                      {"/m", "--limit-mm-per-prompt", "image=3"},
                                                      {"/m", "--mm-encoder-tp-mode", "replicate"},
                                                      {"/m", "--port", "x"},
                                                      {"/m", "-tp", "0"},
                                                      {"/m", "--kv-cache-dtype", "\nfp8"},
                                                      {"/m", "--max-model-len", "1\n2"}};
  for (const auto& tokens : kBad) {
    const std::string message = error_of(tokens);
    EXPECT_NE(message, "<ok>");
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fovea::serve
