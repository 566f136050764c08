// Chat completion response and chunk JSON.
// Must not contain SSE framing or HTTP transport.
#include "serve/chat_response.h"

namespace fovea::serve {
namespace {

nlohmann::ordered_json utf8_bytes(const std::string& token) {
  nlohmann::ordered_json bytes = nlohmann::ordered_json::array();
  for (unsigned char byte : token) bytes.push_back(static_cast<int>(byte));
  return bytes;
}

nlohmann::ordered_json logprobs_json(const std::vector<TokenLogprob>& tokens) {
  nlohmann::ordered_json content = nlohmann::ordered_json::array();
  for (const TokenLogprob& token : tokens) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["token"] = token.token;
    entry["logprob"] = json_safe_logprob(token.logprob);
    entry["bytes"] = utf8_bytes(token.token);
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const TopLogprob& alternative : token.top_logprobs) {
      top.push_back({{"token", alternative.token},
                     {"logprob", json_safe_logprob(alternative.logprob)},
                     {"bytes", utf8_bytes(alternative.token)}});
    }
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return {{"content", std::move(content)}};
}

void add_reasoning(nlohmann::ordered_json& message, const std::optional<std::string>& reasoning) {
  if (!reasoning) return;
  message["reasoning"] = *reasoning;
  message["reasoning_content"] = *reasoning;
}

nlohmann::ordered_json token_ids_json(const std::optional<std::vector<int64_t>>& token_ids) {
  if (!token_ids) return nullptr;
  return *token_ids;
}

}  // namespace

nlohmann::ordered_json build_chat_completion(const ResponseIdentity& identity, std::string_view role,
                                             const std::vector<ChatChoice>& choices, const Usage& usage) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["id"] = identity.id;
  out["object"] = "chat.completion";
  out["created"] = identity.created;
  out["model"] = identity.model;
  nlohmann::ordered_json choices_json = nlohmann::ordered_json::array();
  for (const ChatChoice& choice : choices) {
    nlohmann::ordered_json message = nlohmann::ordered_json::object();
    message["role"] = role;
    message["content"] = choice.content ? nlohmann::ordered_json(*choice.content) : nlohmann::ordered_json(nullptr);
    message["refusal"] = nullptr;
    add_reasoning(message, choice.reasoning);
    if (!choice.tool_calls.empty()) {
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (const ChatToolCall& call : choice.tool_calls) {
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
      }
      message["tool_calls"] = std::move(calls);
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["index"] = choice.index;
    entry["message"] = std::move(message);
    entry["logprobs"] = choice.logprobs ? logprobs_json(*choice.logprobs) : nlohmann::ordered_json(nullptr);
    entry["finish_reason"] = finish_reason_name(choice.finish_reason);
    entry["stop_reason"] = stop_reason_to_json(choice.stop_reason);
    if (choice.token_ids) entry["token_ids"] = token_ids_json(choice.token_ids);
    choices_json.push_back(std::move(entry));
  }
  out["choices"] = std::move(choices_json);
  out["usage"] = usage_to_json(usage);
  return out;
}

nlohmann::ordered_json build_chat_chunk(const ResponseIdentity& identity, const std::vector<ChatDelta>& deltas,
                                        const std::optional<Usage>& usage) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["id"] = identity.id;
  out["object"] = "chat.completion.chunk";
  out["created"] = identity.created;
  out["model"] = identity.model;
  nlohmann::ordered_json choices_json = nlohmann::ordered_json::array();
  for (const ChatDelta& delta : deltas) {
    nlohmann::ordered_json delta_json = nlohmann::ordered_json::object();
    if (delta.role) delta_json["role"] = *delta.role;
    if (delta.content) delta_json["content"] = *delta.content;
    add_reasoning(delta_json, delta.reasoning);
    if (!delta.tool_calls.empty()) {
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (const ChatToolCallDelta& call : delta.tool_calls) {
        nlohmann::ordered_json call_json = nlohmann::ordered_json::object();
        call_json["index"] = call.index;
        if (!call.id.empty()) {
          call_json["id"] = call.id;
          call_json["type"] = "function";
        }
        nlohmann::ordered_json function = nlohmann::ordered_json::object();
        if (!call.name.empty()) function["name"] = call.name;
        // As vLLM's hermes stream: the first piece of a call carries only the name, later ones only arguments.
        if (call.name.empty() || !call.arguments.empty()) function["arguments"] = call.arguments;
        call_json["function"] = std::move(function);
        calls.push_back(std::move(call_json));
      }
      delta_json["tool_calls"] = std::move(calls);
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["index"] = delta.index;
    entry["delta"] = std::move(delta_json);
    entry["logprobs"] = delta.logprobs ? logprobs_json(*delta.logprobs) : nlohmann::ordered_json(nullptr);
    entry["finish_reason"] = delta.finish_reason ? nlohmann::ordered_json(finish_reason_name(*delta.finish_reason))
                                                 : nlohmann::ordered_json(nullptr);
    if (delta.finish_reason) entry["stop_reason"] = stop_reason_to_json(delta.stop_reason);
    if (delta.token_ids) entry["token_ids"] = token_ids_json(delta.token_ids);
    choices_json.push_back(std::move(entry));
  }
  out["choices"] = std::move(choices_json);
  if (usage) out["usage"] = usage_to_json(*usage);
  return out;
}

nlohmann::ordered_json build_chat_usage_chunk(const ResponseIdentity& identity, const Usage& usage) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["id"] = identity.id;
  out["object"] = "chat.completion.chunk";
  out["created"] = identity.created;
  out["model"] = identity.model;
  out["choices"] = nlohmann::ordered_json::array();
  out["usage"] = usage_to_json(usage);
  return out;
}

}  // namespace fovea::serve
