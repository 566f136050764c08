// String-format content flattening, as vLLM's chat_utils builds a string prompt from content parts.
// Must not contain request parsing, template rendering or image fetching.
#include "serve/chat_string_content.h"

#include <cstdint>
#include <utility>

namespace fovea::serve {
namespace {

// Non-overlapping occurrences, as Python's str.count.
int64_t count_occurrences(std::string_view text, std::string_view needle) {
  if (needle.empty()) return 0;
  int64_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace

ApiResult<StringContent> flatten_string_content(const ChatMessage& message, size_t message_idx,
                                                std::string_view image_placeholder) {
  StringContent out;
  std::string joined;
  bool first_text = true;
  const auto append_text = [&](const std::string& text) {
    if (!first_text) joined += '\n';
    joined += text;
    first_text = false;
  };
  if (message.content_form == ContentForm::kString) append_text(message.content);
  for (const ContentPart& part : message.parts) {
    if (part.type == ContentPartType::kText) {
      append_text(part.text);
    } else {
      out.image_urls.push_back(part.image_url);
    }
  }
  if (out.image_urls.empty()) {
    out.text = std::move(joined);
    return out;
  }
  const auto num_images = static_cast<int64_t>(out.image_urls.size());
  const int64_t num_written = count_occurrences(joined, image_placeholder);
  if (num_written > num_images) {
    return bad_request("messages[" + std::to_string(message_idx) + "] has " + std::to_string(num_written) + " '" +
                           std::string(image_placeholder) + "' placeholders in its text but only " +
                           std::to_string(num_images) +
                           " image parts; remove the placeholders from the text (each image part gets one).",
                       "messages[" + std::to_string(message_idx) + "].content");
  }
  // The placeholders the text lacks go first, each followed by a newline; no text means no trailing newline.
  for (int64_t image_idx = num_written; image_idx < num_images; ++image_idx) {
    if (!out.text.empty()) out.text += '\n';
    out.text += image_placeholder;
  }
  if (!joined.empty()) {
    if (!out.text.empty()) out.text += '\n';
    out.text += joined;
  }
  return out;
}

}  // namespace fovea::serve
