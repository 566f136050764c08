// Streaming detokenization for generated tokens: each step returns the new text that is final. Text is final once
// its bytes can no longer change, so a UTF-8 character split across tokens is held back until complete, while
// bytes that can never become valid are emitted as U+FFFD right away. The concatenation of every step plus
// finish() equals Detokenizer::decode of all ids (the reference's "decode the whole, emit the new suffix").
// Must not contain stop-string or sampling logic.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "text/detokenizer.h"

namespace fovea::text {

class IncrementalDetokenizer {
 public:
  // `detokenizer` is not owned and must outlive this object.
  IncrementalDetokenizer(const Detokenizer* detokenizer, bool skip_special_tokens)
      : detokenizer_(detokenizer), skip_special_tokens_(skip_special_tokens) {}

  // Adds one token; returns the text that became final (possibly empty). An unknown id is an error and leaves
  // the state unchanged.
  base::Result<std::string> step(int32_t id);

  // Ends the stream: returns what is still held back (an incomplete character, as U+FFFD).
  std::string finish();

  // Bytes held back waiting for the rest of a character (at most 3).
  size_t num_pending_bytes() const { return pending_.size(); }

 private:
  const Detokenizer* detokenizer_;
  bool skip_special_tokens_;
  std::string pending_;  // bytes not yet emitted: a prefix of one UTF-8 sequence
};

}  // namespace fovea::text
