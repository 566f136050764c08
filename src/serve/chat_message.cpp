// Parsing and validation of chat messages and their content parts.
// Must not contain chat-template rendering or image fetching.
#include "serve/chat_message.h"

#include <fmt/format.h>

#include "serve/json_value.h"
#include "serve/request_fields.h"

namespace fovea::serve {
namespace {

MaybeApiError parse_role(const nlohmann::json& message, const std::string& param, ChatRole& out) {
  const nlohmann::json* role = find_field(message, "role");
  const std::string role_param = child_param(param, "role");
  if (role == nullptr) return bad_request(fmt::format("`{}` is required.", role_param), role_param);
  if (!role->is_string()) return wrong_type(role_param, "a string", *role);
  const std::string name = role->get<std::string>();
  if (name == "system") {
    out = ChatRole::kSystem;
  } else if (name == "developer") {
    out = ChatRole::kDeveloper;
  } else if (name == "user") {
    out = ChatRole::kUser;
  } else if (name == "assistant") {
    out = ChatRole::kAssistant;
  } else if (name == "tool") {
    out = ChatRole::kTool;
  } else {
    return bad_request(fmt::format("`{}` {} is not a valid role; use system, developer, user, assistant or tool.",
                                   role_param, quoted_excerpt(name)),
                       role_param);
  }
  return std::nullopt;
}

MaybeApiError check_image_url(const std::string& url, const RequestLimits& limits, const std::string& param) {
  if (url.empty()) return bad_request(fmt::format("`{}` must not be empty.", param), param);
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return std::nullopt;
  if (url.rfind("data:", 0) == 0) {
    if (url.rfind("data:image/", 0) != 0) {
      return bad_request(fmt::format("`{}` is a data URL that does not hold an image (data:image/...).", param), param);
    }
    return std::nullopt;
  }
  if (url.rfind("file:", 0) == 0) {
    if (!limits.allow_local_media) {
      return bad_request(fmt::format("`{}`: file URLs are not allowed on this server (it was started without "
                                     "--allowed-local-media-path).",
                                     param),
                         param);
    }
    return std::nullopt;
  }
  return bad_request(fmt::format("`{}` must be an http(s) URL or a data:image/... URL.", param), param);
}

MaybeApiError parse_image_part(const nlohmann::json& part, std::string_view key, const RequestLimits& limits,
                               const std::string& param, ContentPart& out) {
  out.type = ContentPartType::kImageUrl;
  const std::string url_holder_param = child_param(param, key);
  const nlohmann::json* holder = find_field(part, key);
  if (holder == nullptr) return bad_request(fmt::format("`{}` is required.", url_holder_param), url_holder_param);
  std::string url_param = url_holder_param;
  if (holder->is_string()) {
    out.image_url = holder->get<std::string>();
  } else if (holder->is_object()) {
    url_param = child_param(url_holder_param, "url");
    std::optional<std::string> url;
    FOVEA_RETURN_IF_API_ERROR(read_string_field(*holder, "url", url_param, url));
    if (!url) return bad_request(fmt::format("`{}` is required.", url_param), url_param);
    out.image_url = std::move(*url);
    std::optional<std::string> detail;
    const std::string detail_param = child_param(url_holder_param, "detail");
    FOVEA_RETURN_IF_API_ERROR(read_string_field(*holder, "detail", detail_param, detail));
    if (detail) {
      if (*detail == "auto") {
        out.detail = ImageDetail::kAuto;
      } else if (*detail == "low") {
        out.detail = ImageDetail::kLow;
      } else if (*detail == "high") {
        out.detail = ImageDetail::kHigh;
      } else {
        return bad_request(fmt::format("`{}` must be auto, low or high.", detail_param), detail_param);
      }
    }
  } else {
    return wrong_type(url_holder_param, "an object with a url", *holder);
  }
  return check_image_url(out.image_url, limits, url_param);
}

std::string infer_part_type(const nlohmann::json& part) {
  for (const char* key : {"text", "image_url", "video_url", "input_audio", "audio_url", "image_embeds"}) {
    if (part.contains(key)) return key;
  }
  return {};
}

MaybeApiError parse_part(const nlohmann::json& part, const RequestLimits& limits, const std::string& param,
                         ContentPart& out) {
  if (!part.is_object()) return wrong_type(param, "an object such as {\"type\": \"text\", \"text\": \"...\"}", part);
  std::string type;
  const std::string type_param = child_param(param, "type");
  if (const nlohmann::json* type_value = find_field(part, "type")) {
    if (!type_value->is_string()) return wrong_type(type_param, "a string", *type_value);
    type = type_value->get<std::string>();
  } else {
    type = infer_part_type(part);
  }
  if (type == "text" || type == "input_text") {
    std::optional<std::string> text;
    const std::string text_param = child_param(param, "text");
    FOVEA_RETURN_IF_API_ERROR(read_string_field(part, "text", text_param, text));
    if (!text) return bad_request(fmt::format("`{}` is required.", text_param), text_param);
    out.type = ContentPartType::kText;
    out.text = std::move(*text);
    return std::nullopt;
  }
  if (type == "image_url") return parse_image_part(part, "image_url", limits, param, out);
  if (type == "input_image") return parse_image_part(part, "image_url", limits, param, out);
  if (type == "video_url" || type == "input_video") {
    return unsupported_parameter("Video input is not supported by fovea; send images (image_url parts).", type_param);
  }
  if (type == "input_audio" || type == "audio_url") {
    return unsupported_parameter("Audio input is not supported by fovea.", type_param);
  }
  if (type == "image_embeds" || type == "audio_embeds" || type == "file") {
    return unsupported_parameter(fmt::format("Content parts of type {} are not supported by fovea.", type), type_param);
  }
  if (type.empty()) return bad_request(fmt::format("`{}` is required (text or image_url).", type_param), type_param);
  return bad_request(
      fmt::format("`{}` {} is not a supported content type; use text or image_url.", type_param, quoted_excerpt(type)),
      type_param);
}

MaybeApiError parse_content(const nlohmann::json& message, ChatRole role, const RequestLimits& limits,
                            const std::string& param, ChatMessage& out) {
  const std::string content_param = child_param(param, "content");
  const nlohmann::json* content = find_field(message, "content");
  if (content == nullptr) {
    if (role == ChatRole::kAssistant) return std::nullopt;
    return bad_request(fmt::format("`{}` is required for {} messages.", content_param, chat_role_name(role)),
                       content_param);
  }
  if (content->is_string()) {
    out.content_form = ContentForm::kString;
    out.content = content->get<std::string>();
    return std::nullopt;
  }
  if (!content->is_array()) return wrong_type(content_param, "a string or an array of content parts", *content);
  if (content->empty() && role != ChatRole::kAssistant) {
    return bad_request(fmt::format("`{}` must not be an empty array.", content_param), content_param);
  }
  out.content_form = ContentForm::kParts;
  for (size_t part_idx = 0; part_idx < content->size(); ++part_idx) {
    ContentPart part;
    FOVEA_RETURN_IF_API_ERROR(parse_part((*content)[part_idx], limits, index_param(content_param, part_idx), part));
    out.parts.push_back(std::move(part));
  }
  return std::nullopt;
}

MaybeApiError parse_tool_calls(const nlohmann::json& message, ChatRole role, const std::string& param,
                               ChatMessage& out) {
  const nlohmann::json* calls = find_field(message, "tool_calls");
  if (calls == nullptr) return std::nullopt;
  const std::string calls_param = child_param(param, "tool_calls");
  if (role != ChatRole::kAssistant) {
    return bad_request(fmt::format("`{}` is only valid on assistant messages.", calls_param), calls_param);
  }
  if (!calls->is_array()) return wrong_type(calls_param, "an array", *calls);
  for (size_t call_idx = 0; call_idx < calls->size(); ++call_idx) {
    const nlohmann::json& call = (*calls)[call_idx];
    const std::string call_param = index_param(calls_param, call_idx);
    if (!call.is_object()) return wrong_type(call_param, "an object", call);
    ToolCallRef ref;
    std::optional<std::string> id;
    FOVEA_RETURN_IF_API_ERROR(read_string_field(call, "id", child_param(call_param, "id"), id));
    ref.id = id.value_or("");
    const std::string function_param = child_param(call_param, "function");
    const nlohmann::json* function = find_field(call, "function");
    if (function == nullptr || !function->is_object()) {
      return bad_request(fmt::format("`{}` must be an object with a name and arguments.", function_param),
                         function_param);
    }
    std::optional<std::string> name;
    const std::string name_param = child_param(function_param, "name");
    FOVEA_RETURN_IF_API_ERROR(read_string_field(*function, "name", name_param, name));
    if (!name || name->empty()) return bad_request(fmt::format("`{}` is required.", name_param), name_param);
    ref.name = std::move(*name);
    const nlohmann::json* arguments = find_field(*function, "arguments");
    if (arguments == nullptr) {
      ref.arguments = "{}";
    } else if (arguments->is_string()) {
      ref.arguments = arguments->get<std::string>();
    } else if (arguments->is_object()) {
      ref.arguments = dump_json(*arguments);
    } else {
      return wrong_type(child_param(function_param, "arguments"), "a JSON string or an object", *arguments);
    }
    out.tool_calls.push_back(std::move(ref));
  }
  return std::nullopt;
}

MaybeApiError parse_message(const nlohmann::json& message, const RequestLimits& limits, const std::string& param,
                            ChatMessage& out) {
  if (!message.is_object()) return wrong_type(param, "an object with a role and content", message);
  FOVEA_RETURN_IF_API_ERROR(parse_role(message, param, out.role));
  FOVEA_RETURN_IF_API_ERROR(parse_content(message, out.role, limits, param, out));
  std::optional<std::string> name;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(message, "name", child_param(param, "name"), name));
  out.name = name.value_or("");
  FOVEA_RETURN_IF_API_ERROR(parse_tool_calls(message, out.role, param, out));
  std::optional<std::string> tool_call_id;
  FOVEA_RETURN_IF_API_ERROR(
      read_string_field(message, "tool_call_id", child_param(param, "tool_call_id"), tool_call_id));
  out.tool_call_id = tool_call_id.value_or("");
  if (out.role == ChatRole::kAssistant) {
    FOVEA_RETURN_IF_API_ERROR(read_string_field(message, "reasoning", child_param(param, "reasoning"), out.reasoning));
    if (!out.reasoning) {
      FOVEA_RETURN_IF_API_ERROR(
          read_string_field(message, "reasoning_content", child_param(param, "reasoning_content"), out.reasoning));
    }
  }
  return std::nullopt;
}

}  // namespace

const char* chat_role_name(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem:
      return "system";
    case ChatRole::kDeveloper:
      return "developer";
    case ChatRole::kUser:
      return "user";
    case ChatRole::kAssistant:
      return "assistant";
    case ChatRole::kTool:
      return "tool";
  }
  return "user";
}

MaybeApiError parse_chat_messages(const nlohmann::json& messages, const RequestLimits& limits,
                                  std::vector<ChatMessage>& out) {
  if (!messages.is_array()) return wrong_type("messages", "an array of messages", messages);
  if (messages.empty()) return bad_request("`messages` must contain at least one message.", "messages");
  out.reserve(messages.size());
  for (size_t message_idx = 0; message_idx < messages.size(); ++message_idx) {
    ChatMessage message;
    FOVEA_RETURN_IF_API_ERROR(
        parse_message(messages[message_idx], limits, index_param("messages", message_idx), message));
    out.push_back(std::move(message));
  }
  const int32_t num_images = count_images(out);
  if (num_images > limits.mm_limits.num_images) {
    return bad_request(fmt::format("At most {} image(s) may be provided in one prompt (--limit-mm-per-prompt); this "
                                   "request has {}.",
                                   limits.mm_limits.num_images, num_images),
                       "messages");
  }
  return std::nullopt;
}

int32_t count_images(const std::vector<ChatMessage>& messages) {
  int32_t num_images = 0;
  for (const ChatMessage& message : messages) {
    for (const ContentPart& part : message.parts) num_images += part.type == ContentPartType::kImageUrl ? 1 : 0;
  }
  return num_images;
}

}  // namespace fovea::serve
