// RequestUpdate -> completion choices and stream chunk choices.
// Must not contain HTTP transport or engine calls.
#include "serve/completion_output.h"

#include <utility>

#include "serve/chat_output.h"

namespace fovea::serve {

CompletionOutput::CompletionOutput(CompletionOutputOptions options)
    : options_(std::move(options)), states_(static_cast<size_t>(options_.num_choices < 1 ? 1 : options_.num_choices)) {}

std::vector<CompletionChoice> CompletionOutput::add(const engine::RequestUpdate& update) {
  std::vector<CompletionChoice> out;
  for (const engine::ChoiceUpdate& choice : update.choices) {
    if (choice.index < 0 || static_cast<size_t>(choice.index) >= states_.size()) continue;
    ChoiceState& state = states_[static_cast<size_t>(choice.index)];
    CompletionChoice piece;
    piece.index = options_.choice_index_base + choice.index;
    if (options_.echo_text && !state.echo_sent) {
      piece.text = *options_.echo_text;
      state.echo_sent = true;
    }
    piece.text += choice.content_delta;
    if (options_.logprobs && !choice.logprobs.empty()) {
      CompletionLogprobs delta;
      int64_t offset = static_cast<int64_t>(state.text.size() + piece.text.size() - choice.content_delta.size());
      for (const TokenLogprob& token : token_logprobs_from_engine(choice.logprobs)) {
        delta.tokens.push_back(token.token);
        delta.token_logprobs.emplace_back(token.logprob);
        delta.top_logprobs.push_back(token.top_logprobs);
        delta.text_offset.push_back(offset);
        offset += static_cast<int64_t>(token.token.size());
      }
      auto append = [](auto& target, const auto& source) { target.insert(target.end(), source.begin(), source.end()); };
      append(state.logprobs.tokens, delta.tokens);
      append(state.logprobs.token_logprobs, delta.token_logprobs);
      append(state.logprobs.top_logprobs, delta.top_logprobs);
      append(state.logprobs.text_offset, delta.text_offset);
      piece.logprobs = std::move(delta);
    }
    state.text += piece.text;
    if (options_.return_token_ids && !choice.token_ids.empty()) {
      std::vector<int64_t> ids(choice.token_ids.begin(), choice.token_ids.end());
      state.token_ids.insert(state.token_ids.end(), ids.begin(), ids.end());
      piece.token_ids = std::move(ids);
    }
    if (choice.finish != engine::FinishKind::kNone && !state.finish) {
      state.finish = finish_reason_from_engine(choice.finish);
      state.stop.stop_string = choice.stop_string;
      if (choice.stop_token_id) state.stop.stop_token_id = *choice.stop_token_id;
      piece.finish_reason = state.finish;
      piece.stop_reason = state.stop;
    }
    if (!piece.text.empty() || piece.finish_reason || piece.logprobs || piece.token_ids) out.push_back(std::move(piece));
  }
  return out;
}

std::vector<CompletionChoice> CompletionOutput::choices() const {
  std::vector<CompletionChoice> out;
  for (size_t idx = 0; idx < states_.size(); ++idx) {
    const ChoiceState& state = states_[idx];
    CompletionChoice choice;
    choice.index = options_.choice_index_base + static_cast<int32_t>(idx);
    choice.text = (options_.echo_text && !state.echo_sent) ? *options_.echo_text + state.text : state.text;
    choice.finish_reason = state.finish.value_or(FinishReason::kAbort);
    choice.stop_reason = state.stop;
    if (options_.logprobs) choice.logprobs = state.logprobs;
    if (options_.return_token_ids) choice.token_ids = state.token_ids;
    out.push_back(std::move(choice));
  }
  return out;
}

}  // namespace fovea::serve
