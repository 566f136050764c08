// --chat-template-content-format string with image parts: each message flattened as vLLM flattens it (text parts
// joined, image placeholders in front), checked against tools/golden/make_string_content_golden.py (vLLM's rule
// restated in Python, rendered by transformers' jinja2 and tokenized by the tiny Qwen3-VL tokenizer), and the
// refusal of image parts for a model without a vision tower.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serve/chat_string_content.h"
#include "serve/generate_request_builder.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace fovea::serve {
namespace {

using nlohmann::ordered_json;

const std::string kGolden = FOVEA_SOURCE_DIR "/tests/unit/serve/data/string_content_golden.json";
const std::string kTinyVlTokenizer =
    FOVEA_SOURCE_DIR "/tests/golden/model/data/checkpoints/qwen3-vl-tiny/tokenizer.json";
const std::string kImageUrl = "data:image/png;base64,iVBORw0KGgo=";

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

GenerateDefaults string_format(bool supports_images = true) {
  GenerateDefaults out;
  out.content_format = ChatTemplateContentFormat::kString;
  out.supports_images = supports_images;
  return out;
}

ApiResult<ChatTemplateMessages> flatten_request(const std::string& body, const GenerateDefaults& defaults) {
  ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(body, limits());
  if (!request.ok()) return request.error();
  return chat_messages_to_json(request.value().messages, defaults);
}

ChatMessage user_parts(std::vector<ContentPart> parts) {
  ChatMessage out;
  out.content_form = ContentForm::kParts;
  out.parts = std::move(parts);
  return out;
}

ContentPart text_part(std::string text) {
  ContentPart out;
  out.text = std::move(text);
  return out;
}

ContentPart image_part(std::string url) {
  ContentPart out;
  out.type = ContentPartType::kImageUrl;
  out.image_url = std::move(url);
  return out;
}

TEST(StringContent, ImagesLeaveTheContentInOrderAndTheirPlaceholdersGoFirst) {
  const ChatMessage message = user_parts({text_part("a"), image_part("u1"), text_part("b"), image_part("u2")});
  ApiResult<StringContent> flat = flatten_string_content(message, 0, "<P>");
  ASSERT_TRUE(flat.ok()) << flat.error().message;
  EXPECT_EQ(flat->text, "<P>\n<P>\na\nb");
  EXPECT_EQ(flat->image_urls, (std::vector<std::string>{"u1", "u2"}));
}

TEST(StringContent, PlaceholdersInTheTextCountAgainstTheImages) {
  ApiResult<StringContent> one_written =
      flatten_string_content(user_parts({text_part("x <P><P> y"), image_part("u1"), image_part("u2")}), 0, "<P>");
  ASSERT_TRUE(one_written.ok());
  EXPECT_EQ(one_written->text, "x <P><P> y");  // both written: nothing added
  ApiResult<StringContent> too_many =
      flatten_string_content(user_parts({text_part("<P><P>"), image_part("u1")}), 3, "<P>");
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().http_status, 400);
  EXPECT_EQ(too_many.error().param, "messages[3].content");
  // Overlapping matches count once, as Python's str.count.
  ApiResult<StringContent> overlapping =
      flatten_string_content(user_parts({text_part("aaa"), image_part("u1")}), 0, "aa");
  ASSERT_TRUE(overlapping.ok());
  EXPECT_EQ(overlapping->text, "aaa");
}

TEST(StringContent, NoImagesIsTheJoinedTextAndAbsentContentIsEmpty) {
  ChatMessage absent;
  absent.role = ChatRole::kAssistant;
  ApiResult<StringContent> flat = flatten_string_content(absent, 0, "<P>");
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->text, "");
  EXPECT_TRUE(flat->image_urls.empty());
  ApiResult<StringContent> joined = flatten_string_content(user_parts({text_part(""), text_part("")}), 0, "<P>");
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->text, "\n");
}

// Every golden case: fovea's flattened content, rendered prompt and token ids equal the reference's.
TEST(StringContentGolden, MatchesVllmFlatteningRenderedByJinja2) {
  const std::string text = read_text(kGolden);
  ASSERT_FALSE(text.empty()) << kGolden;
  const ordered_json golden = ordered_json::parse(text);
  ASSERT_EQ(golden["placeholder"], std::string(kQwenVlImagePlaceholder));
  auto chat_template =
      text::ChatTemplate::create(read_text(FOVEA_SOURCE_DIR "/" + golden["template"].get<std::string>()));
  ASSERT_TRUE(chat_template.ok()) << chat_template.status().message();
  auto tokenizer = text::Tokenizer::load_file(kTinyVlTokenizer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  int num_rendered = 0;
  int num_refused = 0;
  for (const ordered_json& golden_case : golden["cases"]) {
    SCOPED_TRACE(golden_case["name"].get<std::string>());
    const std::string body = ordered_json({{"messages", golden_case["messages"]}}).dump();
    ApiResult<ChatTemplateMessages> flat = flatten_request(body, string_format());
    if (golden_case.contains("error")) {
      ASSERT_FALSE(flat.ok());
      EXPECT_EQ(flat.error().http_status, 400);
      EXPECT_NE(flat.error().message.find("placeholders"), std::string::npos) << flat.error().message;
      ++num_refused;
      continue;
    }
    ASSERT_TRUE(flat.ok()) << flat.error().message;
    const ordered_json& messages = flat->messages;
    ASSERT_EQ(messages.size(), golden_case["flattened"].size());
    size_t num_images = 0;
    for (size_t message_idx = 0; message_idx < messages.size(); ++message_idx) {
      EXPECT_EQ(messages[message_idx]["content"], golden_case["flattened"][message_idx]) << message_idx;
      const ordered_json& content = golden_case["messages"][message_idx]["content"];
      if (!content.is_array()) continue;
      for (const ordered_json& part : content) num_images += part["type"] == "image_url" ? 1 : 0;
    }
    EXPECT_EQ(flat->flattened_image_urls, std::vector<std::string>(num_images, golden["image_url"]));
    text::ChatRenderRequest render;
    render.messages = messages;
    render.add_generation_prompt = golden_case["add_generation_prompt"].get<bool>();
    base::Result<std::string> prompt = chat_template->render(render);
    ASSERT_TRUE(prompt.ok()) << prompt.status().message();
    EXPECT_EQ(*prompt, golden_case["prompt"].get<std::string>());
    base::Result<std::vector<int32_t>> ids = (*tokenizer)->encode(*prompt, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, golden_case["token_ids"].get<std::vector<int32_t>>());
    ++num_rendered;
  }
  EXPECT_GE(num_rendered, 9);
  EXPECT_GE(num_refused, 1);
}

TEST(StringContent, TokenizeRendersTheFlattenedImages) {
  const std::string body = R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]})";
  ApiResult<TokenizeRequest> request = parse_tokenize_request(body, limits());
  ASSERT_TRUE(request.ok()) << request.error().message;
  ApiResult<text::ChatRenderRequest> render = build_tokenize_render_request(request.value(), body, string_format());
  ASSERT_TRUE(render.ok()) << render.error().message;
  EXPECT_EQ(render->messages[0]["content"], std::string(kQwenVlImagePlaceholder) + "\nhi");
}

TEST(StringContent, ModelWithoutVisionRefusesImagePartsInEveryFormat) {
  const std::string body = R"({"messages": [{"role": "user", "content": "first"},
      {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                                   {"type": "text", "text": "what is it?"}]}]})";
  for (ChatTemplateContentFormat format :
       {ChatTemplateContentFormat::kString, ChatTemplateContentFormat::kOpenai, ChatTemplateContentFormat::kAuto}) {
    GenerateDefaults defaults = string_format(/*supports_images=*/false);
    defaults.content_format = format;
    ApiResult<ChatTemplateMessages> refused = flatten_request(body, defaults);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().http_status, 400);
    EXPECT_EQ(refused.error().param, "messages[1].content");
    EXPECT_NE(refused.error().message.find("no vision tower"), std::string::npos) << refused.error().message;
  }
  // Text alone is fine.
  EXPECT_TRUE(flatten_request(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}]})",
                              string_format(false))
                  .ok());
}

}  // namespace
}  // namespace fovea::serve
