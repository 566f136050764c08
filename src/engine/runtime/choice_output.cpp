// ChoiceOutput: detokenized text with stop-string search over the held-back tail plus each new piece (vLLM's rule:
// the earliest stop string wins; it is cut off unless include_stop_str_in_output). Must not contain sampling.
#include "engine/runtime/choice_output.h"

#include <algorithm>

namespace fovea::engine {
namespace {

// The largest cut <= want that does not split a UTF-8 character of `text`.
size_t utf8_floor(const std::string& text, size_t want) {
  while (want > 0 && want < text.size() && (static_cast<unsigned char>(text[want]) & 0xC0) == 0x80) --want;
  return want;
}

}  // namespace

ChoiceOutput::ChoiceOutput(const text::Tokenizer& tokenizer, const SamplingParams& params)
    : detokenizer_(tokenizer.incremental_detokenizer(params.skip_special_tokens)), params_(&params) {
  for (const std::string& stop : params.stop) hold_bytes_ = std::max(hold_bytes_, stop.size() - 1);
}

std::optional<std::string> ChoiceOutput::add_token(int32_t token_id, bool detokenize, std::string& delta) {
  if (stopped_ || !detokenize) return std::nullopt;
  auto piece = detokenizer_.step(token_id);
  if (!piece.ok()) return std::nullopt;  // an id outside the tokenizer (padding rows of the vocab): no text
  held_ += *piece;
  if (!params_->stop.empty()) {
    size_t best_pos = std::string::npos;
    const std::string* best = nullptr;
    for (const std::string& stop : params_->stop) {
      const size_t pos = held_.find(stop);
      if (pos != std::string::npos && (best == nullptr || pos < best_pos)) {
        best_pos = pos;
        best = &stop;
      }
    }
    if (best != nullptr) {
      stopped_ = true;
      delta += held_.substr(0, best_pos + (params_->include_stop_str_in_output ? best->size() : 0));
      held_.clear();
      return *best;
    }
  }
  const size_t emit = held_.size() > hold_bytes_ ? utf8_floor(held_, held_.size() - hold_bytes_) : 0;
  delta += held_.substr(0, emit);
  held_.erase(0, emit);
  return std::nullopt;
}

void ChoiceOutput::finish(std::string& delta) {
  if (stopped_) return;
  held_ += detokenizer_.finish();
  delta += held_;
  held_.clear();
  stopped_ = true;
}

}  // namespace fovea::engine
