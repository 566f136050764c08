// --config FILE.yaml: vLLM's key styles, ${VAR} expansion, precedence (command line over file), and errors.
// Files and the environment are fakes (serve_test_util.h); nothing real is read.
#include <gtest/gtest.h>

#include "serve/env_expand.h"
#include "serve_test_util.h"

namespace fovea::serve {
namespace {

using testing::error_of;
using testing::fake_context;
using testing::has_note_containing;
using testing::parse_args;

constexpr const char* kComposeProfile = R"(# the users' vLLM profile
model: /models/Qwen3-VL-32B-Instruct-AWQ
served-model-name: qwen3-vl
host: 0.0.0.0
port: 8000
api-key: ${FOVEA_API_KEY}
tensor_parallel_size: 2
max-model-len: 128K
max_num_seqs: 16
gpu-memory-utilization: 0.9
kv-cache-dtype: fp8
quantization: awq_marlin
limit-mm-per-prompt:
  image: 3
  video: 0
mm-processor-kwargs: {"max_pixels": 1003520}
mm_encoder_tp_mode: data
enable-auto-tool-choice: true
tool-call-parser: hermes
reasoning-parser: qwen3
enable-prefix-caching: false
trust-remote-code: true
allowed-media-domains: [example.com, cdn.example.com]
)";

TEST(ServeYamlTest, ComposeProfileMovesOverUnchanged) {
  auto parsed =
      parse_args({"--config", "serve.yaml"}, {{"FOVEA_API_KEY", "secret"}}, {{"serve.yaml", kComposeProfile}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ServeConfig& c = parsed->config;
  EXPECT_EQ(c.model, "/models/Qwen3-VL-32B-Instruct-AWQ");
  EXPECT_EQ(c.served_model_names, (std::vector<std::string>{"qwen3-vl"}));
  EXPECT_EQ(c.api_keys, (std::vector<std::string>{"secret"}));
  EXPECT_EQ(c.tensor_parallel_size, 2);
  EXPECT_EQ(c.max_model_len_tokens, 131072);
  EXPECT_EQ(c.max_num_seqs, 16);
  EXPECT_EQ(c.kv_cache_dtype, KvCacheDtype::kFp8E4m3);
  EXPECT_EQ(c.quantization, QuantizationMethod::kAwqMarlin);
  EXPECT_EQ(c.limit_mm_per_prompt.num_images, 3);
  EXPECT_EQ(c.limit_mm_per_prompt.num_videos, 0);
  EXPECT_EQ(c.mm_processor_kwargs.max_pixels, 1003520);
  EXPECT_EQ(c.mm_encoder_tp_mode, MmEncoderTpMode::kData);
  EXPECT_TRUE(c.enable_auto_tool_choice);
  EXPECT_FALSE(c.enable_prefix_caching);
  EXPECT_EQ(c.allowed_media_domains, (std::vector<std::string>{"example.com", "cdn.example.com"}));
  EXPECT_EQ(c.config_file, "serve.yaml");
  EXPECT_TRUE(has_note_containing(*parsed, "serve.yaml: trust-remote-code has no effect"));
  EXPECT_FALSE(has_note_containing(*parsed, "literal key"));
}

TEST(ServeYamlTest, CommandLineOverridesTheFile) {
  auto parsed = parse_args({"/models/other", "--config", "serve.yaml", "--max-model-len", "32768",
                            "--served-model-name", "cli-name", "--enable-prefix-caching", "--api-key", "cli"},
                           {{"FOVEA_API_KEY", "secret"}}, {{"serve.yaml", kComposeProfile}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->config.model, "/models/other");
  EXPECT_EQ(parsed->config.max_model_len_tokens, 32768);
  EXPECT_EQ(parsed->config.served_model_names, (std::vector<std::string>{"cli-name"}));
  EXPECT_TRUE(parsed->config.enable_prefix_caching);
  EXPECT_EQ(parsed->config.api_keys, (std::vector<std::string>{"cli"}));
  EXPECT_EQ(parsed->config.tensor_parallel_size, 2);  // from the file
}

TEST(ServeYamlTest, EnvExpansion) {
  auto expand = [](std::string_view text, std::map<std::string, std::string> env) {
    return expand_env_vars(text, fake_context(std::move(env)).env);
  };
  EXPECT_EQ(expand("${A}-${B:-dflt}-$$-$x", {{"A", "1"}})->text, "1-dflt-$-$x");
  EXPECT_TRUE(expand("${A}", {{"A", "v"}})->used_variables);
  EXPECT_FALSE(expand("plain", {})->used_variables);
  EXPECT_EQ(expand("${MISSING}", {}).status().message(),
            "environment variable MISSING is not set (referenced as ${MISSING})");
  EXPECT_NE(expand("${1BAD}", {}).status().message().find("not a valid environment variable reference"),
            std::string::npos);
  EXPECT_NE(expand("${OPEN", {}).status().message().find("unterminated"), std::string::npos);
  EXPECT_EQ(expand("${E:-d}", {{"E", ""}})->text, "d");
}

TEST(ServeYamlTest, LiteralSecretInAFileIsAllowedButNoted) {
  auto parsed = parse_args({"--config", "s.yml"}, {}, {{"s.yml", "model: /m\napi-key: [k1, k2]\n"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->config.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_TRUE(has_note_containing(*parsed, "s.yml: api-key holds a literal key"));
}

TEST(ServeYamlTest, ErrorsNameTheFileAndKey) {
  auto with_file = [](const std::string& text) { return error_of({"--config", "c.yaml"}, {}, {{"c.yaml", text}}); };
  EXPECT_EQ(with_file("model: /m\nmax-model-length: 4096\n"),
            "c.yaml: unknown key max-model-length; did you mean max-model-len?");
  EXPECT_EQ(with_file("model: /m\nssl-keyfile: k\n"),
            "c.yaml: ssl-keyfile is a vLLM flag that fovea does not support: fovea serves plain HTTP; terminate TLS "
            "in a reverse proxy in front of it");
  EXPECT_EQ(with_file("model: /m\nmm-encoder-tp-mode: replicate\n"),
            "c.yaml: mm-encoder-tp-mode: 'replicate' is not a valid choice; choose one of: weights, data");
  EXPECT_EQ(with_file("model: /m\nlimit-mm-per-prompt: image=3,video=0\n"),
            "c.yaml: limit-mm-per-prompt: the key=value form 'image=3,video=0' is no longer accepted (vLLM moved to "
            "JSON); write limit-mm-per-prompt: {\"image\":3,\"video\":0}");
  EXPECT_EQ(with_file("model: /m\nconfig: other.yaml\n"), "c.yaml: config: a config file cannot name another one");
  EXPECT_EQ(with_file("model: /m\napi-key: ${NOPE}\n"),
            "c.yaml: api-key: environment variable NOPE is not set (referenced as ${NOPE})");
  EXPECT_EQ(with_file("model: /m\nenable-prefix-caching: maybe\n"),
            "c.yaml: enable-prefix-caching: expected true or false");
  EXPECT_EQ(with_file("model: /m\nport: [1, 2]\n"), "c.yaml: port: expects a single value, not a list or mapping");
  EXPECT_NE(with_file("model: /m\nport: [1, 2\n").find("c.yaml: line "), std::string::npos);
  EXPECT_EQ(with_file("- a\n- b\n"),
            "c.yaml: expected a mapping of flag names to values, such as 'max-model-len: 131072'");
  EXPECT_EQ(error_of({"--config", "c.json"}), "--config c.json must be a .yaml or .yml file, as in vLLM");
  EXPECT_NE(error_of({"--config", "absent.yaml"}).find("--config absent.yaml: no such file"), std::string::npos);
  EXPECT_EQ(error_of({"--config", "a.yaml", "--config", "b.yaml"}), "--config is given twice; pass one config file");
}

TEST(ServeYamlTest, FileOnlyParsingNullsAndDottedKeys) {
  auto parsed = parse_serve_config_yaml(
      "model: /m\nseed: null\nhost:\nlimit_mm_per_prompt.image: 2\n"
      "trust-remote-code: false\nquantization: null\n",
      "f.yaml", fake_context());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->config.seed, 0);
  EXPECT_EQ(parsed->config.limit_mm_per_prompt.num_images, 2);
  EXPECT_TRUE(has_note_containing(*parsed, "f.yaml: trust-remote-code: false has no effect"));
  auto empty = parse_serve_config_yaml("", "e.yaml", fake_context());
  EXPECT_FALSE(empty.ok());  // no model
}

TEST(ServeYamlTest, QuotedScalarsStayStrings) {
  auto parsed =
      parse_serve_config_yaml("model: /m\ndefault-chat-template-kwargs:\n  enable_thinking: false\n  label: \"123\"\n",
                              "q.yaml", fake_context());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->config.default_chat_template_kwargs["enable_thinking"], false);
  EXPECT_EQ(parsed->config.default_chat_template_kwargs["label"], "123");
}

}  // namespace
}  // namespace fovea::serve
