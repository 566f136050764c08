// Maps validated OpenAI requests onto the engine's GenerateRequest: chat messages back into the OpenAI message JSON
// the chat template reads (images as image_url parts, tool calls with parsed arguments), tools in the client's key
// order, template kwargs (server defaults, then the request), sampling fields one to one, and the output parsers
// chosen by the server's flags. Must not contain HTTP transport, engine calls or response building.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/generate_request.h"
#include "serve/api_error.h"
#include "serve/chat_completion_request.h"
#include "serve/completion_request.h"
#include "serve/serve_config.h"
#include "serve/tokenize_request.h"

namespace fovea::serve {

// The server flags the mapping reads.
struct GenerateDefaults {
  nlohmann::json default_chat_template_kwargs = nlohmann::json::object();  // --default-chat-template-kwargs
  ReasoningParserKind reasoning_parser = ReasoningParserKind::kNone;
  ToolCallParserKind tool_call_parser = ToolCallParserKind::kNone;
  bool enable_auto_tool_choice = false;
  // --chat-template-content-format once resolved against the template (string or openai); kAuto (not resolved,
  // no template known) passes content on as the client sent it.
  ChatTemplateContentFormat content_format = ChatTemplateContentFormat::kAuto;
  // The model has a vision tower (EngineInfo::supports_images); without one, image parts are a 400.
  bool supports_images = true;
};

GenerateDefaults generate_defaults_from_config(const ServeConfig& config);

engine::SamplingRequest to_sampling_request(const SamplingOptions& options);

// The messages as the chat template reads them, and the images that string content took out of them.
struct ChatTemplateMessages {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // OpenAI JSON, ordered as Python dicts are
  // "string" format only: each message's image URLs in order, one image placeholder each in the content text (the
  // engine takes them as PromptInput::image_urls); the other formats leave the images in the content parts.
  std::vector<std::string> flattened_image_urls;
};

// Content shaped by defaults.content_format as vLLM shapes it (chat_string_content.h for "string"); image parts are
// a 400 when the model has no vision tower.
ApiResult<ChatTemplateMessages> chat_messages_to_json(const std::vector<ChatMessage>& messages,
                                                      const GenerateDefaults& defaults);

// `body` is the request's raw JSON text: tool schemas are taken from it with their key order kept.
ApiResult<engine::GenerateRequest> build_chat_generate_request(const ChatCompletionRequest& request,
                                                               std::string_view body, const GenerateDefaults& defaults,
                                                               std::string request_id);

ApiResult<engine::GenerateRequest> build_completion_generate_request(const CompletionRequest& request,
                                                                     const CompletionPrompt& prompt,
                                                                     std::string request_id);

// The chat template input of a /tokenize request in chat form.
ApiResult<text::ChatRenderRequest> build_tokenize_render_request(const TokenizeRequest& request,
                                                                 std::string_view body,
                                                                 const GenerateDefaults& defaults);

}  // namespace fovea::serve
