// vLLM's "string" chat content format for one message: the text parts joined with newlines, and each image part
// replaced by the model's image placeholder text, the placeholders the text lacks put in front of it (vLLM's
// default, --interleave-mm-strings off). The images leave the content and are handed on separately, in order.
// Must not contain request parsing, template rendering or image fetching.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"
#include "serve/chat_message.h"

namespace fovea::serve {

// What vLLM's Qwen2-VL, Qwen2.5-VL and Qwen3-VL models write for one image in string content; the chat template
// of those models writes the same for an image part, and the tokenizer makes it one <|image_pad|> token.
inline constexpr std::string_view kQwenVlImagePlaceholder = "<|vision_start|><|image_pad|><|vision_end|>";

struct StringContent {
  std::string text;                     // the message's content as the template sees it
  std::vector<std::string> image_urls;  // the message's image parts, in the order they were sent
};

// Flattens `message` (the `message_idx`-th of the request, for error params). Text that already holds more
// `image_placeholder`s than the message has images is a 400, as in vLLM; fewer are topped up in front.
ApiResult<StringContent> flatten_string_content(const ChatMessage& message, size_t message_idx,
                                                std::string_view image_placeholder);

}  // namespace fovea::serve
