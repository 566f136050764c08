// Chat template lookup: transformers' order of preference, named templates, bos/eos tokens, fixture folders.
#include "io/chat_template_source.h"

#include <gtest/gtest.h>

#include "io_test_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;
using testing::expect_error;

std::string tokenizer_config(const json& chat_template) {
  return json{{"bos_token", nullptr},
              {"eos_token", {{"__type", "AddedToken"}, {"content", "<|im_end|>"}, {"special", true}}},
              {"chat_template", chat_template}}
      .dump();
}

TEST(ChatTemplateSourceTest, TokenizerConfigOnly) {
  testing::TempDir dir;
  dir.write("tokenizer_config.json", json{{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"chat_template", "T"}}.dump());
  auto source = load_chat_template(dir.path());
  ASSERT_TRUE(source.ok()) << source.status().message();
  EXPECT_EQ(source->template_text, "T");
  EXPECT_EQ(source->origin, "tokenizer_config.json");
  EXPECT_EQ(source->bos_token, "<s>");
  EXPECT_EQ(source->eos_token, "</s>");
}

TEST(ChatTemplateSourceTest, PreferenceOrder) {
  testing::TempDir dir;
  dir.write("tokenizer_config.json", tokenizer_config("FROM_TOKENIZER_CONFIG"));
  dir.write("chat_template.jinja", "FROM_JINJA");
  auto source = load_chat_template(dir.path());
  ASSERT_TRUE(source.ok()) << source.status().message();
  EXPECT_EQ(source->template_text, "FROM_JINJA");
  EXPECT_EQ(source->origin, "chat_template.jinja");
  EXPECT_EQ(source->eos_token, "<|im_end|>");  // AddedToken dict form
  EXPECT_EQ(source->bos_token, "");

  // The processor's legacy chat_template.json comes first (transformers' ProcessorMixin).
  dir.write("chat_template.json", json{{"chat_template", "FROM_JSON"}}.dump());
  source = load_chat_template(dir.path());
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->template_text, "FROM_JSON");
  EXPECT_EQ(source->origin, "chat_template.json");
}

TEST(ChatTemplateSourceTest, NamedTemplatesInTokenizerConfig) {
  testing::TempDir dir;
  dir.write("tokenizer_config.json", tokenizer_config(json::array({{{"name", "default"}, {"template", "D"}},
                                                                   {{"name", "tool_use"}, {"template", "TU"}}})));
  auto by_default = load_chat_template(dir.path());
  ASSERT_TRUE(by_default.ok()) << by_default.status().message();
  EXPECT_EQ(by_default->template_text, "D");
  auto tool_use = load_chat_template(dir.path(), "tool_use");
  ASSERT_TRUE(tool_use.ok());
  EXPECT_EQ(tool_use->template_text, "TU");
  EXPECT_EQ(tool_use->origin, "tokenizer_config.json");
  auto missing = load_chat_template(dir.path(), "rag");
  expect_error(missing, {"\"rag\"", "default, tool_use"});
  EXPECT_EQ(missing.status().code(), base::StatusCode::kNotFound);

  dir.write("tokenizer_config.json",
            tokenizer_config(json::array({{{"name", "a"}, {"template", "A"}}, {{"name", "b"}, {"template", "B"}}})));
  expect_error(load_chat_template(dir.path()), {"none named \"default\"", "a, b"});
  EXPECT_TRUE(load_chat_template(dir.path(), "b").ok());
}

TEST(ChatTemplateSourceTest, AdditionalTemplateFiles) {
  testing::TempDir dir;
  dir.write(
      "tokenizer_config.json",
      tokenizer_config(json::array({{{"name", "default"}, {"template", "D"}}, {{"name", "old"}, {"template", "O"}}})));
  dir.write("chat_template.jinja", "DEFAULT_FILE");
  dir.write("additional_chat_templates/tool_use.jinja", "TOOL_FILE");
  dir.write("additional_chat_templates/notes.txt", "not a template");
  auto tool_use = load_chat_template(dir.path(), "tool_use");
  ASSERT_TRUE(tool_use.ok()) << tool_use.status().message();
  EXPECT_EQ(tool_use->template_text, "TOOL_FILE");
  EXPECT_EQ(tool_use->origin, "additional_chat_templates/tool_use.jinja");
  auto by_default = load_chat_template(dir.path());
  ASSERT_TRUE(by_default.ok());
  EXPECT_EQ(by_default->origin, "chat_template.jinja");
  // Template files replace tokenizer_config.json's templates entirely (transformers' tokenizer loader).
  expect_error(load_chat_template(dir.path(), "old"), {"\"old\"", "default, tool_use"});
  expect_error(load_chat_template(dir.path(), "notes"), {"\"notes\""});
}

TEST(ChatTemplateSourceTest, NoTemplate) {
  testing::TempDir dir;
  auto source = load_chat_template(dir.path());
  expect_error(source, {dir.path(), "no chat template", "--chat-template"});
  EXPECT_EQ(source.status().code(), base::StatusCode::kNotFound);
  dir.write("tokenizer_config.json", json{{"eos_token", "</s>"}}.dump());
  expect_error(load_chat_template(dir.path()), {"no chat template"});
}

TEST(ChatTemplateSourceTest, MalformedFiles) {
  testing::TempDir dir;
  dir.write("chat_template.json", "{\"template\": \"x\"}");
  expect_error(load_chat_template(dir.path()), {"chat_template.json", "\"chat_template\" key"});
  dir.write("chat_template.json", "{");
  expect_error(load_chat_template(dir.path()), {"chat_template.json", "not valid JSON"});
  dir.write("chat_template.json", "{\"chat_template\": 5}");
  expect_error(load_chat_template(dir.path()), {"chat_template.json", "string or a list"});
  std::filesystem::remove(dir.file("chat_template.json"));
  dir.write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"x\"}]}");
  expect_error(load_chat_template(dir.path()), {"tokenizer_config.json", "\"template\""});
}

TEST(ChatTemplateSourceTest, FixtureFolders) {
  std::string vl_style = testing::read_text(std::string(FOVEA_SHARED_ASSETS) + "/chat-templates/qwen3-vl-style.jinja");
  json tokenizer_config =
      testing::read_json(std::string(FOVEA_SHARED_ASSETS) + "/qwen3-tokenizer/tokenizer_config.json");
  for (const char* name : {"qwen3-vl-tiny", "qwen3-tiny", "qwen3-vl-tiny-legacy"}) {
    SCOPED_TRACE(name);
    auto source = load_chat_template(testing::fixture(name));
    ASSERT_TRUE(source.ok()) << source.status().message();
    EXPECT_EQ(source->origin, testing::expected_for(name).at("chat_template_origin").get<std::string>());
    std::string want =
        source->origin == "tokenizer_config.json" ? tokenizer_config.at("chat_template").get<std::string>() : vl_style;
    EXPECT_EQ(source->template_text, want);
    EXPECT_EQ(source->eos_token, tokenizer_config.at("eos_token").get<std::string>());
    EXPECT_EQ(source->bos_token, "");  // the Qwen tokenizer has none
  }
}

}  // namespace
}  // namespace fovea::io
