// --chat-template-content-format, resolved as vLLM resolves it: "auto" becomes "openai" when the chat template
// loops over a message's content (`for part in message.content` / `message['content']`, through filters, tests
// and slices, with the message taken from a loop over `messages` or a variable set from it) or over a variable
// named `content` (the macro form of the Qwen3-VL template), else "string"; no template: "string".
// Must not contain request parsing or template rendering.
#pragma once

#include <optional>
#include <string_view>

#include "serve/serve_config.h"

namespace fovea::serve {

// vLLM's auto-detection on the template source; "string" when the source does not parse.
ChatTemplateContentFormat detect_chat_template_content_format(std::string_view template_source);

// `given` when it is string or openai; for auto the detected format (no template source: string).
ChatTemplateContentFormat resolve_chat_template_content_format(ChatTemplateContentFormat given,
                                                               std::optional<std::string_view> template_source);

}  // namespace fovea::serve
