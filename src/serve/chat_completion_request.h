// ChatCompletionRequest: a validated POST /v1/chat/completions body (OpenAI's fields plus the vLLM extensions
// fovea honours). Parsing never throws; every failure is an ApiError naming the field. Extra fields are ignored
// as OpenAI and vLLM do, and listed in ignored_fields so the server can log them.
// Must not contain tokenization, chat-template rendering or model-name routing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"
#include "serve/chat_message.h"
#include "serve/chat_tools.h"
#include "serve/multimodal_options.h"
#include "serve/request_limits.h"
#include "serve/sampling_options.h"

namespace fovea::serve {

// OpenAI's reasoning_effort values (vLLM adds "max"); the chat template maps them (e.g. to enable_thinking).
enum class ReasoningEffort { kNone, kMinimal, kLow, kMedium, kHigh, kXhigh, kMax };

struct ChatCompletionRequest {
  std::string model;  // empty: the server's primary name
  std::vector<ChatMessage> messages;
  SamplingOptions sampling;  // sampling.num_logprobs set when logprobs is true (top_logprobs, default 0)
  bool stream = false;
  bool include_usage = false;           // stream_options.include_usage
  bool continuous_usage_stats = false;  // stream_options.continuous_usage_stats (vLLM)
  std::vector<ToolDefinition> tools;
  ToolChoice tool_choice;
  bool parallel_tool_calls = true;
  nlohmann::json chat_template_kwargs = nlohmann::json::object();
  MmProcessorKwargs mm_processor_kwargs;
  bool add_generation_prompt = true;
  bool continue_final_message = false;
  bool add_special_tokens = false;
  bool echo = false;  // vLLM: prepend the last message when it has the response's role
  std::optional<ReasoningEffort> reasoning_effort;
  bool include_reasoning = true;
  std::string request_id;                 // client-chosen id (vLLM's request_id), empty when not given
  std::optional<std::string> cache_salt;  // salts prefix-cache hashes for this request
  bool return_token_ids = false;
  std::vector<std::string> ignored_fields;
};

ApiResult<ChatCompletionRequest> parse_chat_completion_request(std::string_view body, const RequestLimits& limits);
ApiResult<ChatCompletionRequest> chat_completion_request_from_json(const nlohmann::json& body,
                                                                   const RequestLimits& limits);

// Shared with the completion request: stream / stream_options, cache_salt (vLLM's rule), request_id.
MaybeApiError parse_stream_options(const nlohmann::json& body, bool& stream, bool& include_usage,
                                   bool& continuous_usage_stats);
MaybeApiError parse_cache_salt(const nlohmann::json& body, std::optional<std::string>& out);

}  // namespace fovea::serve
