// ChatTemplate's request handling: validation of messages/tools/kwargs, special tokens and key order.
#include "text/chat_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace fovea::text {
namespace {

using nlohmann::ordered_json;

ChatRenderRequest request_with(ordered_json messages) {
  ChatRenderRequest request;
  request.messages = std::move(messages);
  return request;
}

std::string render_or_error(const std::string& source, const ChatRenderRequest& request) {
  auto chat_template = ChatTemplate::create(source);
  if (!chat_template.ok()) return "error: " + chat_template.status().message();
  auto result = chat_template->render(request);
  return result.ok() ? *result : "error: " + result.status().message();
}

const ordered_json kHello = ordered_json::parse(R"([{"role": "user", "content": "hi"}])");

TEST(ChatTemplate, RejectsMalformedRequests) {
  EXPECT_NE(render_or_error("x", request_with(ordered_json::array())).find("empty conversation"), std::string::npos);
  EXPECT_NE(render_or_error("x", request_with(ordered_json::object())).find("messages must be a JSON list"),
            std::string::npos);
  EXPECT_NE(render_or_error("x", request_with(ordered_json::parse("[1]"))).find("message 0 is number"),
            std::string::npos);
  ChatRenderRequest request = request_with(kHello);
  request.tools = ordered_json::parse(R"({"type": "function"})");
  EXPECT_NE(render_or_error("x", request).find("tools must be a JSON list"), std::string::npos);
  request.tools = ordered_json::parse("[1]");
  EXPECT_NE(render_or_error("x", request).find("every entry of tools"), std::string::npos);
  request.tools = nullptr;
  request.extra_kwargs = ordered_json::parse("[1]");
  EXPECT_NE(render_or_error("x", request).find("kwargs must be a JSON object"), std::string::npos);
  request.extra_kwargs = ordered_json::parse(R"({"messages": []})");
  EXPECT_NE(render_or_error("x", request).find("cannot set 'messages'"), std::string::npos);
}

TEST(ChatTemplate, TemplateErrorsAreReportedWithContext) {
  std::string error = render_or_error("{% if %}", request_with(kHello));
  EXPECT_NE(error.find("chat template: syntax error at line 1"), std::string::npos) << error;
  error = render_or_error("{{ raise_exception('roles must alternate') }}", request_with(kHello));
  EXPECT_NE(error.find("rendering the chat template: line 1: the template raised an error: roles must alternate"),
            std::string::npos)
      << error;
}

TEST(ChatTemplate, SpecialTokensAreUndefinedWhenEmptyAndKwargsOverrideThem) {
  const std::string source = "{{ bos_token is defined }}|{{ eos_token }}|{{ enable_thinking }}";
  ChatRenderRequest request = request_with(kHello);
  EXPECT_EQ(render_or_error(source, request), "False||");
  request.bos_token = "<s>";
  request.eos_token = "</s>";
  EXPECT_EQ(render_or_error(source, request), "True|</s>|");
  request.extra_kwargs = ordered_json::parse(R"({"eos_token": "<end>", "enable_thinking": false})");
  EXPECT_EQ(render_or_error(source, request), "True|<end>|False");
}

TEST(ChatTemplate, KeepsKeyOrderDropsNullKeysAndAliasesReasoning) {
  ChatRenderRequest request = request_with(
      ordered_json::parse(R"([{"role": "assistant", "content": null, "reasoning": "why", "zeta": 1, "alpha": 2}])"));
  request.tools = ordered_json::parse(R"([{"name": "f", "parameters": {"z": 1, "a": 2}}])");
  EXPECT_EQ(render_or_error("{{ messages[0] }}|{{ tools|tojson }}", request),
            "{'thinking': 'why', 'role': 'assistant', 'reasoning': 'why', 'zeta': 1, 'alpha': 2, "
            "'reasoning_content': 'why'}|[{\"name\": \"f\", \"parameters\": {\"z\": 1, \"a\": 2}}]");
}

TEST(ChatTemplate, AddGenerationPromptAndDocumentsAreAlwaysDefined) {
  ChatRenderRequest request = request_with(kHello);
  request.add_generation_prompt = false;
  EXPECT_EQ(render_or_error("{{ add_generation_prompt }} {{ tools }} {{ documents }}", request), "False None None");
}

TEST(ChatTemplate, RejectsInputNestedTooDeeply) {
  ordered_json deep = "leaf";
  for (int level = 0; level < 300; ++level) deep = ordered_json::array({deep});
  ChatRenderRequest request = request_with(ordered_json::array({{{"role", "user"}, {"content", deep}}}));
  EXPECT_NE(render_or_error("x", request).find("nested more than"), std::string::npos);
}

TEST(ChatTemplate, RejectsInvalidUtf8InMessages) {
  ChatRenderRequest request = request_with(ordered_json::array({{{"role", "user"}, {"content", "bad \xff"}}}));
  EXPECT_NE(render_or_error("{{ messages[0].content }}", request).find("not valid UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace fovea::text
