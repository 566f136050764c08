// RequestUpdate -> chat choices and stream deltas.
// Must not contain HTTP transport, SSE framing or engine calls.
#include "serve/chat_output.h"

#include <utility>

namespace fovea::serve {

FinishReason finish_reason_from_engine(engine::FinishKind kind) {
  switch (kind) {
    case engine::FinishKind::kLength:
      return FinishReason::kLength;
    case engine::FinishKind::kToolCalls:
      return FinishReason::kToolCalls;
    case engine::FinishKind::kAbort:
      return FinishReason::kAbort;
    case engine::FinishKind::kError:
      return FinishReason::kError;
    case engine::FinishKind::kNone:
    case engine::FinishKind::kStop:
      break;
  }
  return FinishReason::kStop;
}

std::vector<TokenLogprob> token_logprobs_from_engine(const std::vector<engine::TokenLogprobEntry>& entries) {
  std::vector<TokenLogprob> out;
  out.reserve(entries.size());
  for (const engine::TokenLogprobEntry& entry : entries) {
    TokenLogprob token{entry.token, entry.logprob, {}};
    for (const engine::TopLogprobEntry& top : entry.top) token.top_logprobs.push_back({top.token, top.logprob});
    out.push_back(std::move(token));
  }
  return out;
}

ChatOutput::ChatOutput(ChatOutputOptions options)
    : options_(options), states_(static_cast<size_t>(options.num_choices < 1 ? 1 : options.num_choices)) {}

std::vector<ChatDelta> ChatOutput::role_deltas(const std::string& role) const {
  std::vector<ChatDelta> out;
  for (size_t idx = 0; idx < states_.size(); ++idx) {
    ChatDelta delta;
    delta.index = static_cast<int32_t>(idx);
    delta.role = role;
    delta.content = "";
    out.push_back(std::move(delta));
  }
  return out;
}

std::vector<ChatDelta> ChatOutput::add(const engine::RequestUpdate& update) {
  std::vector<ChatDelta> deltas;
  for (const engine::ChoiceUpdate& choice : update.choices) {
    if (choice.index < 0 || static_cast<size_t>(choice.index) >= states_.size()) continue;
    ChoiceState& state = states_[static_cast<size_t>(choice.index)];
    ChatDelta delta;
    delta.index = choice.index;
    bool has_payload = false;
    if (!choice.content_delta.empty()) {
      state.content += choice.content_delta;
      delta.content = choice.content_delta;
      has_payload = true;
    }
    if (!choice.reasoning_delta.empty() && options_.include_reasoning) {
      state.reasoning += choice.reasoning_delta;
      delta.reasoning = choice.reasoning_delta;
      has_payload = true;
    }
    for (const engine::ToolCallDelta& call : choice.tool_calls) {
      if (call.index < 0) continue;
      const auto call_idx = static_cast<size_t>(call.index);
      if (state.tool_calls.size() <= call_idx) state.tool_calls.resize(call_idx + 1);
      ChatToolCall& target = state.tool_calls[call_idx];
      if (call.id) target.id = *call.id;
      if (call.name) target.name += *call.name;
      target.arguments += call.arguments_delta;
      delta.tool_calls.push_back({call.index, call.id.value_or(""), call.name.value_or(""), call.arguments_delta});
      has_payload = true;
    }
    if (options_.logprobs && !choice.logprobs.empty()) {
      std::vector<TokenLogprob> logprobs = token_logprobs_from_engine(choice.logprobs);
      state.logprobs.insert(state.logprobs.end(), logprobs.begin(), logprobs.end());
      delta.logprobs = std::move(logprobs);
      has_payload = true;
    }
    if (options_.return_token_ids && !choice.token_ids.empty()) {
      std::vector<int64_t> ids(choice.token_ids.begin(), choice.token_ids.end());
      state.token_ids.insert(state.token_ids.end(), ids.begin(), ids.end());
      delta.token_ids = std::move(ids);
      has_payload = true;
    }
    if (choice.finish != engine::FinishKind::kNone && !state.finish) {
      const FinishReason reason = finish_reason_from_engine(choice.finish);
      state.finish = reason;
      state.stop.stop_string = choice.stop_string;
      if (choice.stop_token_id) state.stop.stop_token_id = *choice.stop_token_id;
      delta.finish_reason = reason;
      delta.stop_reason = state.stop;
      if (!delta.content && delta.tool_calls.empty() && !delta.reasoning) delta.content = "";
      has_payload = true;
    }
    if (has_payload) deltas.push_back(std::move(delta));
  }
  for (const engine::ChoiceAnswer& answer : update.answers) {
    if (answer.index >= 0 && static_cast<size_t>(answer.index) < states_.size()) {
      states_[static_cast<size_t>(answer.index)].answer = answer;
    }
  }
  return deltas;
}

std::vector<ChatChoice> ChatOutput::choices() const {
  std::vector<ChatChoice> out;
  for (size_t idx = 0; idx < states_.size(); ++idx) {
    const ChoiceState& state = states_[idx];
    ChatChoice choice;
    choice.index = static_cast<int32_t>(idx);
    choice.finish_reason = state.finish.value_or(FinishReason::kAbort);
    if (state.answer) {
      // vLLM's non-streaming message parses the whole text again (see engine::ChoiceAnswer).
      choice.content = state.answer->content;
      if (state.answer->reasoning && options_.include_reasoning) choice.reasoning = state.answer->reasoning;
      for (const engine::ToolCall& call : state.answer->tool_calls) {
        choice.tool_calls.push_back({call.id, call.name, call.arguments});
      }
      if (choice.finish_reason != FinishReason::kError) {
        choice.finish_reason = finish_reason_from_engine(state.answer->finish);
      }
    } else {
      if (!state.content.empty() || state.tool_calls.empty()) choice.content = state.content;
      if (!state.reasoning.empty()) choice.reasoning = state.reasoning;
      choice.tool_calls = state.tool_calls;
    }
    choice.stop_reason = state.stop;
    if (options_.logprobs) choice.logprobs = state.logprobs;
    if (options_.return_token_ids) choice.token_ids = state.token_ids;
    out.push_back(std::move(choice));
  }
  return out;
}

bool ChatOutput::all_finished() const {
  for (const ChoiceState& state : states_) {
    if (!state.finish) return false;
  }
  return true;
}

}  // namespace fovea::serve
