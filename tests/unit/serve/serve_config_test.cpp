// ServeConfig's cross-field validation, path checks and canonical dump (round trip through --config).
// Must not touch files outside a temporary folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "serve/request_limits.h"
#include "serve_test_util.h"

namespace fovea::serve {
namespace {

using testing::error_of;
using testing::fake_context;
using testing::parse_args;

TEST(ServeConfigTest, CrossFieldRules) {
  EXPECT_EQ(error_of({"/m", "--max-num-seqs", "64", "--max-num-batched-tokens", "32"}),
            "--max-num-batched-tokens (32) must be at least --max-num-seqs (64), as in vLLM; raise the first or "
            "lower the second");
  EXPECT_EQ(error_of({"/m", "--enable-auto-tool-choice"}),
            "--enable-auto-tool-choice requires --tool-call-parser (fovea supports hermes)");
  EXPECT_EQ(error_of({"/m", "--dtype", "bfloat16", "--kv-cache-dtype", "float16"}),
            "--kv-cache-dtype float16 must match --dtype bfloat16; use --kv-cache-dtype auto");
  EXPECT_NE(error_of({"/m", "--block-size", "12"}).find("--block-size must be one of 8, 16"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--max-logprobs", "-1"}).find("no uncapped mode"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--max-request-body-bytes", "100"}).find("at least 1024"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--allowed-media-domains", "https://x.org"}).find("bare host names"), std::string::npos);
  EXPECT_NE(error_of({"/m", "--served-model-name", ""}).find("must not be an empty string"), std::string::npos);
  EXPECT_EQ(error_of({"/m\xff"}), "--model must be valid UTF-8 text");
  EXPECT_EQ(error_of({"/m", "--served-model-name", "caf\xc3"}), "--served-model-name must be valid UTF-8 text");
  EXPECT_TRUE(parse_args({"/m", "--served-model-name", "caf\xc3\xa9"}).ok());
  // Chunked prefill is always on in fovea, so a batch budget below the context length is fine (vLLM's rule for
  // that case only applies without chunked prefill).
  EXPECT_TRUE(parse_args({"/m", "--max-model-len", "131072", "--max-num-batched-tokens", "2048"}).ok());
}

TEST(ServeConfigTest, DumpRoundTripsThroughConfig) {
  auto parsed = parse_args({"/models/q",
                            "--served-model-name",
                            "a",
                            "b",
                            "--max-model-len",
                            "100k",
                            "-tp",
                            "2",
                            "--kv-cache-dtype",
                            "fp8_e5m2",
                            "--limit-mm-per-prompt",
                            "{\"image\": 3}",
                            "--mm-processor-kwargs",
                            "{\"max_pixels\": 1000}",
                            "--default-chat-template-kwargs",
                            "{\"enable_thinking\": false}",
                            "--reasoning-parser",
                            "deepseek_r1",
                            "--port",
                            "9"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const std::string yaml = dump_serve_config_yaml(parsed->config);
  auto reparsed = parse_serve_config_yaml(yaml, "dump.yaml", fake_context());
  ASSERT_TRUE(reparsed.ok()) << reparsed.status().message() << "\n" << yaml;
  ServeConfig expected = parsed->config;
  expected.config_file = "dump.yaml";
  EXPECT_EQ(serve_config_to_json(reparsed->config), serve_config_to_json(expected)) << yaml;
}

TEST(ServeConfigTest, DumpRedactsKeys) {
  auto parsed = parse_args({"/m", "--api-key", "sk-very-secret", "other-secret"});
  ASSERT_TRUE(parsed.ok());
  const std::string yaml = dump_serve_config_yaml(parsed->config);
  EXPECT_EQ(yaml.find("secret"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("api-key: [\"<redacted>\",\"<redacted>\"]"), std::string::npos) << yaml;
  const nlohmann::ordered_json json = serve_config_to_json(parsed->config);
  EXPECT_EQ(json["max-model-len"], nullptr);
  EXPECT_EQ(json["kv-cache-dtype"], "auto");
}

TEST(ServeConfigTest, PathChecks) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fovea_serve_config_test";
  std::filesystem::create_directories(dir / "model");
  std::ofstream(dir / "chat.jinja") << "{{ x }}";
  auto ok = parse_args({(dir / "model").string(), "--chat-template", (dir / "chat.jinja").string()});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(check_serve_config_paths(ok->config).ok());
  auto missing_model = parse_args({(dir / "absent").string()});
  EXPECT_NE(check_serve_config_paths(missing_model->config).message().find("does not exist"), std::string::npos);
  auto missing_template = parse_args({(dir / "model").string(), "--chat-template", (dir / "nope.jinja").string()});
  EXPECT_NE(check_serve_config_paths(missing_template->config).message().find("is not a file"), std::string::npos);
  auto inline_template = parse_args({(dir / "model").string(), "--chat-template", "{% for m in messages %}"});
  EXPECT_TRUE(check_serve_config_paths(inline_template->config).ok());
  auto media = parse_args({(dir / "model").string(), "--allowed-local-media-path", (dir / "none").string()});
  EXPECT_FALSE(check_serve_config_paths(media->config).ok());
  std::filesystem::remove_all(dir);
}

TEST(ServeConfigTest, RequestLimitsFollowTheConfig) {
  auto parsed = parse_args({"/m", "--max-model-len", "4096", "--max-logprobs", "5", "--limit-mm-per-prompt",
                            "{\"image\": 2}", "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
                            "--allowed-local-media-path", "/x", "--mm-processor-kwargs", "{\"max_pixels\": 5000}"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const RequestLimits limits = request_limits_from_config(parsed->config);
  EXPECT_EQ(limits.max_model_len_tokens, 4096);
  EXPECT_EQ(limits.max_logprobs, 5);
  EXPECT_EQ(limits.mm_limits.num_images, 2);
  EXPECT_TRUE(limits.enable_auto_tool_choice);
  EXPECT_TRUE(limits.allow_local_media);
  EXPECT_EQ(limits.max_image_pixels, 5000);
}

}  // namespace
}  // namespace fovea::serve
