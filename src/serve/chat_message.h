// ChatMessage: one validated message of a chat request (role, content as a string or as text/image parts, tool
// calls), parsed from OpenAI's JSON with vLLM's leniencies (missing part types inferred, image_url as a plain
// string). Images are counted against --limit-mm-per-prompt; video and audio parts are refused.
// Must not contain chat-template rendering or image fetching.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serve/api_error.h"
#include "serve/request_limits.h"

namespace fovea::serve {

enum class ChatRole { kSystem, kDeveloper, kUser, kAssistant, kTool };
enum class ContentPartType { kText, kImageUrl };
enum class ImageDetail { kAuto, kLow, kHigh };  // accepted for compatibility; fovea sizes images by pixel budget

struct ContentPart {
  ContentPartType type = ContentPartType::kText;
  std::string text;       // kText
  std::string image_url;  // kImageUrl: http(s)://..., data:image/...;base64,..., or file://... when allowed
  ImageDetail detail = ImageDetail::kAuto;
};

struct ToolCallRef {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as OpenAI sends it (an object is serialized)
};

// How the content was given; chat templates render a string and a list of parts differently.
enum class ContentForm { kAbsent, kString, kParts };

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  ContentForm content_form = ContentForm::kAbsent;
  std::string content;             // kString
  std::vector<ContentPart> parts;  // kParts
  std::string name;
  std::vector<ToolCallRef> tool_calls;   // assistant messages
  std::string tool_call_id;              // tool messages
  std::optional<std::string> reasoning;  // assistant: "reasoning" or vLLM's older "reasoning_content"
};

const char* chat_role_name(ChatRole role);

// Parses the `messages` array (param names are "messages[i]...").
MaybeApiError parse_chat_messages(const nlohmann::json& messages, const RequestLimits& limits,
                                  std::vector<ChatMessage>& out);

int32_t count_images(const std::vector<ChatMessage>& messages);

}  // namespace fovea::serve
