// Turns the engine's RequestUpdates for one /v1/completions prompt into OpenAI output: accumulated choices for a
// whole answer and per-update choices for stream chunks, with the echoed prompt first and the legacy logprobs
// arrays (text offsets counted in bytes of the choice's text). Must not contain HTTP transport or engine calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/request_update.h"
#include "serve/completion_response.h"

namespace fovea::serve {

struct CompletionOutputOptions {
  int32_t num_choices = 1;
  int32_t choice_index_base = 0;  // choices of the second prompt of a batch are numbered after the first's
  std::optional<std::string> echo_text;  // the prompt text, when the request asked for echo
  bool logprobs = false;
  bool return_token_ids = false;
};

class CompletionOutput {
 public:
  explicit CompletionOutput(CompletionOutputOptions options);

  // Adds one update; returns the stream chunk's choices (the echoed prompt goes into each choice's first piece).
  std::vector<CompletionChoice> add(const engine::RequestUpdate& update);
  std::vector<CompletionChoice> choices() const;

 private:
  struct ChoiceState {
    std::string text;
    bool echo_sent = false;
    CompletionLogprobs logprobs;
    std::vector<int64_t> token_ids;
    std::optional<FinishReason> finish;
    StopReason stop;
  };

  CompletionOutputOptions options_;
  std::vector<ChoiceState> states_;
};

}  // namespace fovea::serve
