// Pending bytes plus the new token's bytes are decoded up to the last point that later bytes cannot change.
// Must not contain stop-string or sampling logic.
#include "text/incremental_detokenizer.h"

#include "text/utf8.h"

namespace fovea::text {

base::Result<std::string> IncrementalDetokenizer::step(int32_t id) {
  if (!detokenizer_->has_token(id)) {
    return base::out_of_range("token id {} is not in the vocabulary (ids are below {})", id, detokenizer_->id_limit());
  }
  pending_.append(detokenizer_->token_bytes(id, skip_special_tokens_));
  size_t stable_bytes = utf8_stable_prefix_bytes(pending_);
  std::string text;
  append_utf8_lossy(text, std::string_view(pending_).substr(0, stable_bytes));
  pending_.erase(0, stable_bytes);
  return text;
}

std::string IncrementalDetokenizer::finish() {
  std::string text;
  append_utf8_lossy(text, pending_);
  pending_.clear();
  return text;
}

}  // namespace fovea::text
