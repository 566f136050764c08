// JSON builders for /v1/chat/completions answers: the whole response and the stream chunks, in OpenAI's shape
// with vLLM's additions (stop_reason, token_ids, reasoning). Reasoning text is sent as both "reasoning" (vLLM
// since 0.11) and "reasoning_content" (older vLLM, DeepSeek's API), so clients of either keep working.
// Must not contain SSE framing or HTTP transport.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serve/response_types.h"

namespace fovea::serve {

struct ChatToolCall {
  std::string id;  // "chatcmpl-tool-..." style ids come from the tool-call parser
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatChoice {
  int32_t index = 0;
  std::optional<std::string> content;  // null when the answer is only tool calls
  std::optional<std::string> reasoning;
  std::vector<ChatToolCall> tool_calls;
  FinishReason finish_reason = FinishReason::kStop;
  StopReason stop_reason;
  std::optional<std::vector<TokenLogprob>> logprobs;
  std::optional<std::vector<int64_t>> token_ids;  // with return_token_ids
};

nlohmann::ordered_json build_chat_completion(const ResponseIdentity& identity, std::string_view role,
                                             const std::vector<ChatChoice>& choices, const Usage& usage);

struct ChatToolCallDelta {
  int32_t index = 0;
  std::string id;         // empty: omitted (only the first delta of a call carries it)
  std::string name;       // empty: omitted
  std::string arguments;  // the next piece of the arguments text
};

struct ChatDelta {
  int32_t index = 0;
  std::optional<std::string> role;  // the first chunk of a choice
  std::optional<std::string> content;
  std::optional<std::string> reasoning;
  std::vector<ChatToolCallDelta> tool_calls;
  std::optional<FinishReason> finish_reason;
  StopReason stop_reason;
  std::optional<std::vector<TokenLogprob>> logprobs;
  std::optional<std::vector<int64_t>> token_ids;
};

// One "chat.completion.chunk"; `usage` only with stream_options.continuous_usage_stats.
nlohmann::ordered_json build_chat_chunk(const ResponseIdentity& identity, const std::vector<ChatDelta>& deltas,
                                        const std::optional<Usage>& usage);

// The last chunk with stream_options.include_usage: "choices": [] and the usage.
nlohmann::ordered_json build_chat_usage_chunk(const ResponseIdentity& identity, const Usage& usage);

}  // namespace fovea::serve
