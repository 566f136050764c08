// Turns the engine's RequestUpdates for one chat request into OpenAI output: the choices of a non-streaming answer
// (the engine's ChoiceAnswer for message and finish_reason, the accumulated logprobs and ids), and the per-update
// deltas of a stream (the role first, then content, reasoning, tool-call pieces, logprobs, the finish). Must not
// contain HTTP transport, SSE framing or engine calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/request_update.h"
#include "serve/chat_response.h"
#include "serve/response_types.h"

namespace fovea::serve {

FinishReason finish_reason_from_engine(engine::FinishKind kind);
std::vector<TokenLogprob> token_logprobs_from_engine(const std::vector<engine::TokenLogprobEntry>& entries);

struct ChatOutputOptions {
  int32_t num_choices = 1;
  bool include_reasoning = true;  // the request's include_reasoning: false drops reasoning text
  bool logprobs = false;
  bool return_token_ids = false;
};

class ChatOutput {
 public:
  explicit ChatOutput(ChatOutputOptions options);

  // Adds one update (either use: accumulate for the whole answer, and/or take the stream deltas it returns).
  std::vector<ChatDelta> add(const engine::RequestUpdate& update);
  // The first chunk of a stream: every choice with the role and empty content, as vLLM sends.
  std::vector<ChatDelta> role_deltas(const std::string& role) const;
  // The accumulated choices, in index order.
  std::vector<ChatChoice> choices() const;
  bool all_finished() const;

 private:
  struct ChoiceState {
    std::string content;
    std::string reasoning;
    std::vector<ChatToolCall> tool_calls;
    std::vector<TokenLogprob> logprobs;
    std::vector<int64_t> token_ids;
    std::optional<FinishReason> finish;
    StopReason stop;
    std::optional<engine::ChoiceAnswer> answer;  // the non-streaming message, once the choice finished
  };

  ChatOutputOptions options_;
  std::vector<ChoiceState> states_;
};

}  // namespace fovea::serve
