// ChoiceOutput: the text side of one generated sequence (one choice): incremental detokenization and stop strings,
// holding back just enough text that a stop string split across tokens is never streamed before it is recognised.
// Must not contain sampling or scheduling; reasoning and tool-call parsing belong to engine/output.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/sampling/sampling_params.h"
#include "text/incremental_detokenizer.h"
#include "text/tokenizer.h"

namespace fovea::engine {

class ChoiceOutput {
 public:
  // `tokenizer` and `params` must outlive the object.
  ChoiceOutput(const text::Tokenizer& tokenizer, const SamplingParams& params);

  // Adds a generated token's text (detokenize == false for a stop token whose text is not shown); appends the text
  // that became final to `delta`. Returns the stop string when one appeared (the text is cut there).
  std::optional<std::string> add_token(int32_t token_id, bool detokenize, std::string& delta);
  // The end of the choice: appends the text still held back.
  void finish(std::string& delta);

 private:
  text::IncrementalDetokenizer detokenizer_;
  const SamplingParams* params_;  // not owned
  size_t hold_bytes_ = 0;         // longest stop string - 1
  std::string held_;              // final text not yet emitted (may start a stop string)
  bool stopped_ = false;
};

}  // namespace fovea::engine
