// Validated request -> engine::GenerateRequest.
// Must not contain HTTP transport, engine calls or response building.
#include "serve/generate_request_builder.h"

#include <algorithm>
#include <string>
#include <utility>

#include "serve/chat_string_content.h"
#include "serve/json_value.h"

namespace fovea::serve {
namespace {

using nlohmann::ordered_json;

// vLLM hands templates tool-call arguments as a mapping (Qwen's template prints a mapping with tojson and a string
// as it is); arguments that are not a JSON object stay text.
ordered_json tool_call_arguments(const std::string& arguments) {
  if (json_nesting_depth(arguments, kMaxJsonDepth) > kMaxJsonDepth) return arguments;
  ordered_json parsed = ordered_json::parse(arguments, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) return parsed;
  return arguments;
}

// The parts as the client sent them (format not resolved: no chat template known).
ordered_json content_parts_json(const std::vector<ContentPart>& parts) {
  ordered_json out = ordered_json::array();
  for (const ContentPart& part : parts) {
    if (part.type == ContentPartType::kText) {
      out.push_back({{"type", "text"}, {"text", part.text}});
    } else {
      out.push_back({{"type", "image_url"}, {"image_url", {{"url", part.image_url}}}});
    }
  }
  return out;
}

bool has_image(const ChatMessage& message) {
  return std::any_of(message.parts.begin(), message.parts.end(),
                     [](const ContentPart& part) { return part.type == ContentPartType::kImageUrl; });
}

// vLLM's "openai" content: always a list; a string becomes one text part, absent content an empty list. Images are
// {"type": "image"} as vLLM hands them to templates, with the URL kept for the engine's image fetch.
ordered_json openai_content(const ChatMessage& message) {
  ordered_json out = ordered_json::array();
  if (message.content_form == ContentForm::kString) out.push_back({{"type", "text"}, {"text", message.content}});
  for (const ContentPart& part : message.parts) {
    if (part.type == ContentPartType::kText) {
      out.push_back({{"type", "text"}, {"text", part.text}});
    } else {
      out.push_back({{"type", "image"}, {"image_url", {{"url", part.image_url}}}});
    }
  }
  return out;
}

// The content the template reads; string content moves the message's images to `flattened_image_urls`.
ApiResult<ordered_json> content_json(const ChatMessage& message, ChatTemplateContentFormat format, size_t message_idx,
                                     std::vector<std::string>& flattened_image_urls) {
  switch (format) {
    case ChatTemplateContentFormat::kAuto:
      if (message.content_form == ContentForm::kString) return ordered_json(message.content);
      if (message.content_form == ContentForm::kParts) return content_parts_json(message.parts);
      return ordered_json();
    case ChatTemplateContentFormat::kString: {
      ApiResult<StringContent> flat = flatten_string_content(message, message_idx, kQwenVlImagePlaceholder);
      if (!flat.ok()) return flat.error();
      for (std::string& url : flat.value().image_urls) flattened_image_urls.push_back(std::move(url));
      return ordered_json(std::move(flat.value().text));
    }
    case ChatTemplateContentFormat::kOpenai:
      // vLLM hands tool results that are only text to templates as one string, whatever the format.
      if (message.role == ChatRole::kTool && !has_image(message)) {
        ApiResult<StringContent> flat = flatten_string_content(message, message_idx, kQwenVlImagePlaceholder);
        if (!flat.ok()) return flat.error();
        return ordered_json(std::move(flat.value().text));
      }
      return openai_content(message);
  }
  return ordered_json();
}

// The request's tools in the client's key order; the body was already validated, so a failure here means the
// validated form is the only one left (sorted keys), which renders the same apart from key order.
ordered_json tools_json(std::string_view body, const std::vector<ToolDefinition>& tools) {
  if (tools.empty()) return nullptr;
  if (json_nesting_depth(body, kMaxJsonDepth) <= kMaxJsonDepth) {
    ordered_json parsed = ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.contains("tools") && parsed["tools"].is_array()) return parsed["tools"];
  }
  ordered_json out = ordered_json::array();
  for (const ToolDefinition& tool : tools) {
    ordered_json function = {{"name", tool.name}};
    if (!tool.description.empty()) function["description"] = tool.description;
    function["parameters"] = ordered_json::parse(tool.parameters.dump());
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

const char* reasoning_effort_name(ReasoningEffort effort) {
  switch (effort) {
    case ReasoningEffort::kNone:
      return "none";
    case ReasoningEffort::kMinimal:
      return "minimal";
    case ReasoningEffort::kLow:
      return "low";
    case ReasoningEffort::kMedium:
      return "medium";
    case ReasoningEffort::kHigh:
      return "high";
    case ReasoningEffort::kXhigh:
      return "xhigh";
    case ReasoningEffort::kMax:
      return "max";
  }
  return "medium";
}

// Server defaults first, the request's keys over them (vLLM's order).
ordered_json template_kwargs(const GenerateDefaults& defaults, const nlohmann::json& request_kwargs) {
  ordered_json out = ordered_json::object();
  for (const auto& [key, value] : defaults.default_chat_template_kwargs.items()) {
    out[key] = ordered_json::parse(value.dump());
  }
  for (const auto& [key, value] : request_kwargs.items()) out[key] = ordered_json::parse(value.dump());
  return out;
}

engine::ReasoningParser reasoning_parser(ReasoningParserKind kind) {
  switch (kind) {
    case ReasoningParserKind::kQwen3:
      return engine::ReasoningParser::kQwen3;
    case ReasoningParserKind::kDeepseekR1:
      return engine::ReasoningParser::kDeepSeekR1;
    case ReasoningParserKind::kNone:
      break;
  }
  return engine::ReasoningParser::kNone;
}

MaybeApiError refuse_prompt_truncation(const SamplingOptions& options) {
  if (!options.truncate_prompt_tokens) return std::nullopt;
  return unsupported_parameter("`truncate_prompt_tokens` is not supported; shorten the prompt on the client.",
                               "truncate_prompt_tokens");
}

}  // namespace

GenerateDefaults generate_defaults_from_config(const ServeConfig& config) {
  GenerateDefaults out;
  out.default_chat_template_kwargs = config.default_chat_template_kwargs;
  out.reasoning_parser = config.reasoning_parser;
  out.tool_call_parser = config.tool_call_parser;
  out.enable_auto_tool_choice = config.enable_auto_tool_choice;
  out.content_format = config.chat_template_content_format;
  return out;
}

engine::SamplingRequest to_sampling_request(const SamplingOptions& options) {
  engine::SamplingRequest out;
  out.temperature = options.temperature;
  out.top_p = options.top_p;
  out.top_k = options.top_k;
  out.min_p = options.min_p;
  out.presence_penalty = options.presence_penalty;
  out.frequency_penalty = options.frequency_penalty;
  out.repetition_penalty = options.repetition_penalty;
  out.seed = options.seed;
  out.n = options.n;
  out.max_tokens = options.max_tokens;
  out.min_tokens = options.min_tokens;
  out.stop = options.stop;
  out.stop_token_ids = options.stop_token_ids;
  out.ignore_eos = options.ignore_eos;
  out.include_stop_str_in_output = options.include_stop_str_in_output;
  out.skip_special_tokens = options.skip_special_tokens;
  out.logprobs = options.num_logprobs;
  out.logit_bias = options.logit_bias;
  return out;
}

ApiResult<ChatTemplateMessages> chat_messages_to_json(const std::vector<ChatMessage>& messages,
                                                      const GenerateDefaults& defaults) {
  ChatTemplateMessages out;
  for (size_t message_idx = 0; message_idx < messages.size(); ++message_idx) {
    const ChatMessage& message = messages[message_idx];
    if (!defaults.supports_images && has_image(message)) {
      return bad_request("This model has no vision tower, so it cannot take images; send text only.",
                         "messages[" + std::to_string(message_idx) + "].content");
    }
    ordered_json entry = ordered_json::object();
    entry["role"] = chat_role_name(message.role);
    ApiResult<ordered_json> content =
        content_json(message, defaults.content_format, message_idx, out.flattened_image_urls);
    if (!content.ok()) return content.error();
    if (!content.value().is_null()) entry["content"] = std::move(content).value();
    if (!message.name.empty()) entry["name"] = message.name;
    if (message.reasoning) entry["reasoning_content"] = *message.reasoning;
    if (!message.tool_calls.empty()) {
      ordered_json calls = ordered_json::array();
      for (const ToolCallRef& call : message.tool_calls) {
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", tool_call_arguments(call.arguments)}}}});
      }
      entry["tool_calls"] = std::move(calls);
    }
    if (!message.tool_call_id.empty()) entry["tool_call_id"] = message.tool_call_id;
    out.messages.push_back(std::move(entry));
  }
  return out;
}

ApiResult<engine::GenerateRequest> build_chat_generate_request(const ChatCompletionRequest& request,
                                                               std::string_view body, const GenerateDefaults& defaults,
                                                               std::string request_id) {
  FOVEA_RETURN_IF_API_ERROR(refuse_prompt_truncation(request.sampling));
  if (request.continue_final_message) {
    return unsupported_parameter("`continue_final_message` is not supported; end the conversation with a user turn.",
                                 "continue_final_message");
  }
  engine::GenerateRequest out;
  out.request_id = std::move(request_id);
  text::ChatRenderRequest chat;
  ApiResult<ChatTemplateMessages> messages = chat_messages_to_json(request.messages, defaults);
  if (!messages.ok()) return messages.error();
  chat.messages = std::move(messages.value().messages);
  out.prompt.image_urls = std::move(messages.value().flattened_image_urls);
  chat.tools = tools_json(body, request.tools);
  chat.add_generation_prompt = request.add_generation_prompt;
  chat.extra_kwargs = template_kwargs(defaults, request.chat_template_kwargs);
  if (request.reasoning_effort)
    chat.extra_kwargs["reasoning_effort"] = reasoning_effort_name(*request.reasoning_effort);
  if (auto thinking = chat.extra_kwargs.find("enable_thinking");
      thinking != chat.extra_kwargs.end() && thinking->is_boolean()) {
    out.output.enable_thinking = thinking->get<bool>();
  }
  out.prompt.chat = std::move(chat);
  out.prompt.image_sizes.min_pixels = request.mm_processor_kwargs.min_pixels;
  out.prompt.image_sizes.max_pixels = request.mm_processor_kwargs.max_pixels;
  out.sampling = to_sampling_request(request.sampling);
  out.output.reasoning = reasoning_parser(defaults.reasoning_parser);
  const bool tools_allowed = !request.tools.empty() && request.tool_choice.mode != ToolChoiceMode::kNone;
  if (tools_allowed && defaults.enable_auto_tool_choice && defaults.tool_call_parser == ToolCallParserKind::kHermes) {
    out.output.tools = engine::ToolCallParser::kHermes;
  }
  out.output.return_token_ids = request.return_token_ids;
  out.cache_salt = request.cache_salt.value_or("");
  return out;
}

ApiResult<engine::GenerateRequest> build_completion_generate_request(const CompletionRequest& request,
                                                                     const CompletionPrompt& prompt,
                                                                     std::string request_id) {
  FOVEA_RETURN_IF_API_ERROR(refuse_prompt_truncation(request.sampling));
  engine::GenerateRequest out;
  out.request_id = std::move(request_id);
  if (prompt.is_token_ids) {
    std::vector<int32_t> ids;
    ids.reserve(prompt.token_ids.size());
    for (int64_t id : prompt.token_ids) {
      if (id < 0 || id > INT32_MAX) return bad_request("`prompt` holds a token id out of range.", "prompt");
      ids.push_back(static_cast<int32_t>(id));
    }
    out.prompt.token_ids = std::move(ids);
  } else {
    out.prompt.text = prompt.text;
  }
  out.prompt.add_special_tokens = request.add_special_tokens;
  out.sampling = to_sampling_request(request.sampling);
  out.output.echo_prompt = request.echo;
  out.output.return_token_ids = request.return_token_ids || request.echo;
  out.cache_salt = request.cache_salt.value_or("");
  return out;
}

ApiResult<text::ChatRenderRequest> build_tokenize_render_request(const TokenizeRequest& request,
                                                                 std::string_view body,
                                                                 const GenerateDefaults& defaults) {
  text::ChatRenderRequest chat;
  // The images of string content are placeholders in the text here, as in the prompt generation renders.
  ApiResult<ChatTemplateMessages> messages = chat_messages_to_json(request.messages, defaults);
  if (!messages.ok()) return messages.error();
  chat.messages = std::move(messages.value().messages);
  chat.tools = tools_json(body, request.tools);
  chat.add_generation_prompt = request.add_generation_prompt;
  chat.extra_kwargs = template_kwargs(defaults, request.chat_template_kwargs);
  return chat;
}

}  // namespace fovea::serve
