// Chat templates rendered by fovea against transformers' apply_chat_template (tools/golden/make_template_golden.py):
// every (template, conversation) pair byte-identical, or failing where transformers raised; plus one-feature
// snippets rendered by the same sandboxed jinja2 environment.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "text/chat_template.h"
#include "text/template/json_value.h"
#include "text/template/template.h"

namespace fovea::text {
namespace {

using nlohmann::ordered_json;

const std::string kGoldenDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/template/";
const std::string kTemplateDir = std::string(FOVEA_SHARED_ASSETS) + "/chat-templates/";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ordered_json read_json(const std::string& path) {
  std::string text = read_text(path);
  EXPECT_FALSE(text.empty()) << "missing fixture " << path;
  return ordered_json::parse(text);
}

// The generator freezes strftime_now at 2025-03-14 09:00:00.
std::tm frozen_clock() {
  std::tm when{};
  when.tm_year = 2025 - 1900;
  when.tm_mon = 2;
  when.tm_mday = 14;
  when.tm_hour = 9;
  std::time_t seconds = timegm(&when);
  gmtime_r(&seconds, &when);
  return when;
}

// Python's error is "<Type>: <message>". raise_exception() errors carry the template's own message, which fovea's
// error must repeat; for engine errors (TypeError, UndefinedError) failing with a message is enough.
void expect_same_failure(const std::string& python_error, const base::Status& status, const std::string& where) {
  ASSERT_FALSE(status.ok()) << where << ": transformers raised " << python_error << " but fovea rendered";
  EXPECT_FALSE(status.message().empty()) << where;
  const std::string prefix = "TemplateError: ";
  if (python_error.rfind(prefix, 0) == 0) {
    EXPECT_NE(status.message().find(python_error.substr(prefix.size())), std::string::npos)
        << where << ": fovea said: " << status.message();
  }
}

// conversations.json names its tools by index into tools.json (stored once to keep the fixture small).
ordered_json tools_by_index(const ordered_json& indices, const ordered_json& tool_definitions) {
  if (indices.is_null()) return nullptr;
  ordered_json tools = ordered_json::array();
  for (const auto& idx : indices) tools.push_back(tool_definitions.at(idx.get<size_t>()));
  return tools;
}

struct Family {
  const char* name;
  const char* bos_token;
  const char* eos_token;
  bool in_fixture_dir;
};

void PrintTo(const Family& family, std::ostream* out) { *out << family.name; }

class ChatTemplateGolden : public ::testing::TestWithParam<Family> {};

TEST_P(ChatTemplateGolden, MatchesTransformers) {
  const Family& family = GetParam();
  std::string dir = family.in_fixture_dir ? kGoldenDir : kTemplateDir;
  std::string source = read_text(dir + family.name + ".jinja");
  ASSERT_FALSE(source.empty()) << "missing template " << dir << family.name << ".jinja";
  ChatTemplateOptions options;
  options.clock = frozen_clock;
  auto chat_template = ChatTemplate::create(source, options);
  ASSERT_TRUE(chat_template.ok()) << chat_template.status().message();

  ordered_json conversations = read_json(kGoldenDir + "conversations.json");
  ordered_json tool_definitions = read_json(kGoldenDir + "tools.json");
  ordered_json expected = read_json(kGoldenDir + "expected_" + family.name + ".json");
  ASSERT_EQ(conversations.size(), expected.size());
  int num_identical = 0;
  int num_refused = 0;
  for (size_t idx = 0; idx < conversations.size(); ++idx) {
    const ordered_json& conversation = conversations[idx];
    ChatRenderRequest request;
    request.messages = conversation["messages"];
    request.tools = tools_by_index(conversation["tools"], tool_definitions);
    request.add_generation_prompt = conversation["add_generation_prompt"].get<bool>();
    request.extra_kwargs = conversation["kwargs"];
    request.bos_token = family.bos_token;
    request.eos_token = family.eos_token;
    auto rendered = chat_template->render(request);
    std::string where = std::string(family.name) + " conversation " + std::to_string(idx);
    if (expected[idx].contains("output")) {
      ASSERT_TRUE(rendered.ok()) << where << ": " << rendered.status().message();
      EXPECT_EQ(*rendered, expected[idx]["output"].get<std::string>()) << where;
      num_identical += rendered.ok() && *rendered == expected[idx]["output"].get<std::string>();
    } else {
      expect_same_failure(expected[idx]["error"].get<std::string>(), rendered.status(), where);
      num_refused += !rendered.ok();
    }
  }
  std::printf("%s: %d byte-identical, %d refused as transformers does, of %zu conversations\n", family.name,
              num_identical, num_refused, conversations.size());
  EXPECT_EQ(static_cast<size_t>(num_identical + num_refused), conversations.size());
  // The acceptance bar: at least 300 conversations rendered (not refused) per template.
  EXPECT_GE(num_identical, 300);
}

INSTANTIATE_TEST_SUITE_P(
    Families, ChatTemplateGolden,
    ::testing::Values(Family{"qwen3", "", "<|im_end|>", false}, Family{"qwen3-vl-style", "", "<|im_end|>", false},
                      Family{"deepseek-r1-distill-qwen", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", false},
                      Family{"glm-4.6", "", "<|endoftext|>", false}, Family{"mistral-small-3.1", "<s>", "</s>", false},
                      Family{"inspect_messages", "<s>", "</s>", true}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (ch == '-' || ch == '.') ch = '_';
      }
      return name;
    });

TEST(TemplateSnippetGolden, MatchesJinja2) {
  ordered_json fixture = read_json(kGoldenDir + "snippets.json");
  const ordered_json& snippets = fixture["snippets"];
  ASSERT_GE(snippets.size(), 200u);
  std::vector<std::pair<std::string, jinja::Value>> variables;
  for (const auto& [name, value] : fixture["variables"].items()) {
    auto converted = jinja::value_from_json(value, 100);
    ASSERT_TRUE(converted.ok()) << converted.status().message();
    variables.emplace_back(name, *converted);
  }
  int num_matching = 0;
  for (size_t idx = 0; idx < snippets.size(); ++idx) {
    const ordered_json& snippet = snippets[idx];
    std::string source = snippet["template"].get<std::string>();
    std::string where = "snippet " + std::to_string(idx) + ": " + source;
    jinja::TemplateOptions options;
    options.clock = frozen_clock;
    auto parsed = jinja::Template::parse(source, options);
    base::Result<std::string> rendered = parsed.status();
    if (parsed.ok()) rendered = parsed->render(variables);
    if (snippet.contains("output")) {
      ASSERT_TRUE(rendered.ok()) << where << "\n" << rendered.status().message();
      EXPECT_EQ(*rendered, snippet["output"].get<std::string>()) << where;
      num_matching += *rendered == snippet["output"].get<std::string>();
    } else {
      expect_same_failure(snippet["error"].get<std::string>(), rendered.status(), where);
      num_matching += !rendered.ok();
    }
  }
  std::printf("snippets: %d of %zu match jinja2\n", num_matching, snippets.size());
}

}  // namespace
}  // namespace fovea::text
