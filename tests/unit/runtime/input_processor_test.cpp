// InputProcessor edge cases on the tiny checkpoints' folders (no weights are loaded): placeholder expansion and
// positions, too many images, prompts too long, bad and refused images, ids out of range; every refusal is
// kInvalidArgument and names no local path.
#include "engine/runtime/input_processor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "io/model_config.h"

namespace fovea::engine {
namespace {

using nlohmann::ordered_json;

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/";
const std::string kVlDir = kDataDir + "checkpoints/qwen3-vl-tiny-untied-legacy";
const std::string kImage = kDataDir + "images/tiny.png";

std::unique_ptr<InputProcessor> make_processor(const std::string& model_dir, InputLimits limits) {
  auto config = io::load_model_config(model_dir);
  EXPECT_TRUE(config.ok()) << config.status().to_string();
  auto processor = InputProcessor::create(model_dir, *config, std::move(limits));
  EXPECT_TRUE(processor.ok()) << processor.status().to_string();
  return processor.ok() ? std::move(processor).value() : nullptr;
}

InputLimits default_limits() {
  InputLimits limits;
  limits.max_model_len = 4096;
  limits.max_images_per_prompt = 4;
  limits.max_image_patches = 16384;
  limits.media.allowed_local_media_path = kDataDir;
  return limits;
}

PromptInput chat_with_images(const std::vector<std::string>& urls, const std::string& text = "What is this?") {
  ordered_json content = ordered_json::array();
  for (const std::string& url : urls) content.push_back({{"type", "image_url"}, {"image_url", {{"url", url}}}});
  content.push_back({{"type", "text"}, {"text", text}});
  PromptInput prompt;
  prompt.chat.emplace();
  prompt.chat->messages = ordered_json::array({{{"role", "user"}, {"content", content}}});
  return prompt;
}

std::string data_url_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "data:image/png;base64,";
  for (size_t idx = 0; idx < bytes.size(); idx += 3) {
    const size_t count = std::min<size_t>(3, bytes.size() - idx);
    uint32_t word = 0;
    for (size_t k = 0; k < 3; ++k) word = (word << 8) | (k < count ? bytes[idx + k] : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= count ? kAlphabet[(word >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

void expect_client_error(const base::Status& status, const std::string& needle) {
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument) << status.to_string();
  EXPECT_NE(status.message().find(needle), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find(kDataDir), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("/nonexistent"), std::string::npos) << status.message();
}

TEST(InputProcessor, ExpandsPlaceholdersAndComputesPositions) {
  auto processor = make_processor(kVlDir, default_limits());
  ASSERT_NE(processor, nullptr);
  auto processed = processor->process(chat_with_images({kImage, data_url_of(kImage)}));
  ASSERT_TRUE(processed.ok()) << processed.status().to_string();
  ASSERT_EQ(processed->images.size(), 2u);
  const PromptImage& first = processed->images[0];
  const PromptImage& second = processed->images[1];
  EXPECT_GT(first.num_placeholder_tokens, 0);
  // The same picture by path and by data: URL: the same file bytes, so the same encoder-cache key.
  EXPECT_EQ(first.content_hash, second.content_hash);
  EXPECT_GT(second.placeholder_start_idx, first.placeholder_start_idx + first.num_placeholder_tokens);
  const auto num_tokens = static_cast<int64_t>(processed->token_ids.size());
  EXPECT_EQ(processed->mrope_positions.size(), static_cast<size_t>(3 * num_tokens));
  const auto config = io::load_model_config(kVlDir);
  ASSERT_TRUE(config.ok());
  const auto image_token = static_cast<int32_t>(config->image_token_id);
  EXPECT_EQ(std::count(processed->token_ids.begin(), processed->token_ids.end(), image_token),
            first.num_placeholder_tokens + second.num_placeholder_tokens);
  for (int64_t idx = 0; idx < first.num_placeholder_tokens; ++idx) {
    EXPECT_EQ(processed->token_ids[static_cast<size_t>(first.placeholder_start_idx + idx)], image_token);
  }
  // Images compress positions: the last position is below the token count.
  EXPECT_LT(processed->rope_delta, 0);
}

TEST(InputProcessor, ImagesBesideTextContentFillTheirPlaceholders) {
  // --chat-template-content-format string: the placeholders are in the message text, the images beside it; the
  // prompt is processed exactly as the same prompt with an image part.
  auto processor = make_processor(kVlDir, default_limits());
  ASSERT_NE(processor, nullptr);
  auto as_part = processor->process(chat_with_images({kImage}));
  PromptInput beside;
  beside.chat.emplace();
  beside.chat->messages = ordered_json::array(
      {{{"role", "user"}, {"content", "<|vision_start|><|image_pad|><|vision_end|>What is this?"}}});
  beside.image_urls = {kImage};
  auto as_text = processor->process(beside);
  ASSERT_TRUE(as_part.ok()) << as_part.status().to_string();
  ASSERT_TRUE(as_text.ok()) << as_text.status().to_string();
  EXPECT_EQ(as_text->token_ids, as_part->token_ids);
  EXPECT_EQ(as_text->mrope_positions, as_part->mrope_positions);
  ASSERT_EQ(as_text->images.size(), 1u);
  EXPECT_EQ(as_text->images[0].placeholder_start_idx, as_part->images[0].placeholder_start_idx);
  EXPECT_EQ(as_text->images[0].content_hash, as_part->images[0].content_hash);
  // Both ways at once is a client error, as is a placeholder without its image.
  PromptInput both = chat_with_images({kImage});
  both.image_urls = {kImage};
  expect_client_error(processor->process(both).status(), "not both");
  beside.image_urls.clear();
  expect_client_error(processor->process(beside).status(), "placeholders");
}

TEST(InputProcessor, RefusesTooManyImages) {
  InputLimits limits = default_limits();
  limits.max_images_per_prompt = 1;
  auto processor = make_processor(kVlDir, limits);
  ASSERT_NE(processor, nullptr);
  auto processed = processor->process(chat_with_images({kImage, kImage}));
  ASSERT_FALSE(processed.ok());
  expect_client_error(processed.status(), "limit of 1");
}

TEST(InputProcessor, RefusesPromptsAsLongAsTheContext) {
  InputLimits limits = default_limits();
  limits.max_model_len = 20;
  auto processor = make_processor(kVlDir, limits);
  ASSERT_NE(processor, nullptr);
  auto processed = processor->process(chat_with_images({kImage}));
  ASSERT_FALSE(processed.ok());
  // kOutOfRange: the server answers it as context_length_exceeded.
  EXPECT_EQ(processed.status().code(), base::StatusCode::kOutOfRange) << processed.status().to_string();
  EXPECT_NE(processed.status().message().find("maximum context length is 20 tokens"), std::string::npos);

  PromptInput ids;
  ids.token_ids = std::vector<int32_t>(20, 1);
  EXPECT_EQ(processor->process(ids).status().code(), base::StatusCode::kOutOfRange);
  ids.token_ids = std::vector<int32_t>(19, 1);
  EXPECT_TRUE(processor->process(ids).ok());
}

TEST(InputProcessor, RefusesBadAndUnreachableImages) {
  auto processor = make_processor(kVlDir, default_limits());
  ASSERT_NE(processor, nullptr);
  expect_client_error(processor->process(chat_with_images({"data:image/png;base64,iVBORw0KGgoAAAA"})).status(),
                      "image 1");
  expect_client_error(processor->process(chat_with_images({"/nonexistent/secret.png"})).status(), "not found");
  expect_client_error(processor->process(chat_with_images({"file:///etc/hostname"})).status(), "outside");
  expect_client_error(processor->process(chat_with_images({kDataDir + "../../../../../../../../../../etc/hostname"})).status(),
                      "outside");
  expect_client_error(processor->process(chat_with_images({"https://example.com/a.png"})).status(),
                      "not allowed");
  expect_client_error(processor->process(chat_with_images({"ftp://example.com/a.png"})).status(), "data:");

  InputLimits no_local = default_limits();
  no_local.media.allowed_local_media_path.clear();
  auto strict = make_processor(kVlDir, no_local);
  ASSERT_NE(strict, nullptr);
  expect_client_error(strict->process(chat_with_images({kImage})).status(), "not allowed");
  EXPECT_TRUE(strict->process(chat_with_images({data_url_of(kImage)})).ok());
}

TEST(InputProcessor, RefusesPlaceholdersWrittenInText) {
  auto processor = make_processor(kVlDir, default_limits());
  ASSERT_NE(processor, nullptr);
  expect_client_error(processor->process(chat_with_images({}, "look <|image_pad|>")).status(), "placeholders");
}

TEST(InputProcessor, TextModelsRefuseImagesAndCheckIds) {
  auto processor = make_processor(kDataDir + "checkpoints/qwen3-tiny", default_limits());
  ASSERT_NE(processor, nullptr);
  expect_client_error(processor->process(chat_with_images({kImage})).status(), "does not take images");
  PromptInput ids;
  ids.token_ids = std::vector<int32_t>{1, 2, 1 << 30};
  expect_client_error(processor->process(ids).status(), "out of range");
  PromptInput text;
  text.text = "Hello";
  auto processed = processor->process(text);
  ASSERT_TRUE(processed.ok()) << processed.status().to_string();
  EXPECT_TRUE(processed->mrope_positions.empty());
  PromptInput empty;
  expect_client_error(processor->process(empty).status(), "no prompt");
}

TEST(InputProcessor, PixelOverridesAreCappedByTheServer) {
  InputLimits limits = default_limits();
  limits.max_pixels = 100000;
  auto processor = make_processor(kVlDir, limits);
  ASSERT_NE(processor, nullptr);
  auto options = processor->preprocess_options({.min_pixels = 4096, .max_pixels = 10000000});
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  EXPECT_EQ(options->max_pixels, 100000);
  EXPECT_EQ(options->min_pixels, 4096);
  auto bad = processor->preprocess_options({.min_pixels = 90000, .max_pixels = 5000});
  expect_client_error(bad.status(), "min_pixels");
}

}  // namespace
}  // namespace fovea::engine
