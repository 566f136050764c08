// GenerateRequest: what the HTTP layer hands the engine for one OpenAI request, already validated: the prompt (a
// chat to render, or completion text / ids), images by URL, the sampling fields as the client gave them, and how
// the output is parsed. Must not contain JSON parsing of HTTP bodies or any HTTP type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/sampling/sampling_request.h"
#include "text/chat_template.h"

namespace fovea::engine {

// Per-request image size bounds (mm_processor_kwargs); unset keeps the model's preprocessor_config values, and the
// server's --mm-processor-kwargs max_pixels caps what a request may ask for.
struct ImageSizeOverrides {
  std::optional<int64_t> min_pixels;
  std::optional<int64_t> max_pixels;
};

struct PromptInput {
  // Chat requests: messages in OpenAI format (content strings or parts; image parts carry "image_url": {"url"}),
  // tools, add_generation_prompt and chat_template_kwargs (extra_kwargs). The input processor renders the model's
  // template, tokenizes, fetches and preprocesses the images in order of appearance.
  std::optional<text::ChatRenderRequest> chat;
  // Chat requests whose content is plain text (--chat-template-content-format string): the images, in the order of
  // their placeholders in the messages' text (the messages then have no image parts).
  std::vector<std::string> image_urls;
  // Completion requests: text (tokenized with add_special_tokens) or ids; used when `chat` is empty.
  std::optional<std::string> text;
  std::optional<std::vector<int32_t>> token_ids;
  bool add_special_tokens = true;  // completion text only; chat prompts are rendered with the template's tokens
  ImageSizeOverrides image_sizes;
};

enum class ReasoningParser { kNone, kQwen3, kDeepSeekR1 };
enum class ToolCallParser { kNone, kHermes };

struct OutputOptions {
  ReasoningParser reasoning = ReasoningParser::kNone;
  ToolCallParser tools = ToolCallParser::kNone;  // only when the request allows tool calls (tool_choice != none)
  // chat_template_kwargs.enable_thinking: with qwen3 and a prompt without think tags, false means all content.
  bool enable_thinking = true;
  bool echo_prompt = false;       // completions `echo`
  bool return_token_ids = false;  // include token ids in updates
};

struct GenerateRequest {
  std::string request_id;  // unique; abort() names it
  PromptInput prompt;
  SamplingRequest sampling;
  OutputOptions output;
  std::string cache_salt;  // separates prefix-cache tenants; empty: shared
};

}  // namespace fovea::engine
