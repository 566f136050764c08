// The <think>...</think> split (see reasoning_parser.h). Must not contain tool-call parsing.
#include "engine/output/reasoning_parser.h"

#include <algorithm>

namespace fovea::engine {
namespace {

constexpr std::string_view kThinkStart = "<think>";
constexpr std::string_view kThinkEnd = "</think>";

// Longest suffix of `text` that is a proper prefix of `tag`.
size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
  for (size_t len = std::min(text.size(), tag.size() - 1); len > 0; --len) {
    if (text.substr(text.size() - len) == tag.substr(0, len)) return len;
  }
  return 0;
}

}  // namespace

base::Result<ReasoningParserKind> parse_reasoning_parser_name(std::string_view name) {
  if (name == "qwen3") return ReasoningParserKind::kQwen3;
  if (name == "deepseek_r1") return ReasoningParserKind::kDeepSeekR1;
  return base::invalid_argument("--reasoning-parser '{}' is not supported; choose one of: qwen3, deepseek_r1.", name);
}

const char* reasoning_parser_name(ReasoningParserKind kind) {
  switch (kind) {
    case ReasoningParserKind::kNone:
      return "none";
    case ReasoningParserKind::kQwen3:
      return "qwen3";
    case ReasoningParserKind::kDeepSeekR1:
      return "deepseek_r1";
  }
  return "none";
}

bool output_starts_in_reasoning(ReasoningParserKind kind, std::span<const int32_t> prompt_token_ids,
                                std::optional<int32_t> think_start_id, std::optional<int32_t> think_end_id,
                                bool enable_thinking) {
  if (kind == ReasoningParserKind::kNone) return false;
  for (auto it = prompt_token_ids.rbegin(); it != prompt_token_ids.rend(); ++it) {
    if (think_end_id.has_value() && *it == *think_end_id) return false;
    if (think_start_id.has_value() && *it == *think_start_id) return true;
  }
  return !(kind == ReasoningParserKind::kQwen3 && !enable_thinking);
}

ReasoningSplitter::Split ReasoningSplitter::push(std::string_view text) {
  Split split;
  pending_.append(text);
  while (!pending_.empty()) {
    if (!in_reasoning_) {
      split.content += pending_;
      pending_.clear();
      break;
    }
    size_t end_pos = pending_.find(kThinkEnd);
    size_t start_pos = start_tag_dropped_ ? std::string::npos : pending_.find(kThinkStart);
    if (start_pos != std::string::npos && (end_pos == std::string::npos || start_pos < end_pos)) {
      split.reasoning.append(pending_, 0, start_pos);
      pending_.erase(0, start_pos + kThinkStart.size());
      start_tag_dropped_ = true;
      continue;
    }
    if (end_pos != std::string::npos) {
      split.reasoning.append(pending_, 0, end_pos);
      pending_.erase(0, end_pos + kThinkEnd.size());
      in_reasoning_ = false;
      continue;
    }
    size_t held = partial_tag_suffix(pending_, kThinkEnd);
    if (!start_tag_dropped_) held = std::max(held, partial_tag_suffix(pending_, kThinkStart));
    split.reasoning.append(pending_, 0, pending_.size() - held);
    pending_.erase(0, pending_.size() - held);
    break;
  }
  return split;
}

ReasoningSplitter::Split ReasoningSplitter::finish() {
  Split split;
  if (in_reasoning_) {
    split.reasoning = std::move(pending_);
  } else {
    split.content = std::move(pending_);
  }
  pending_.clear();
  return split;
}

}  // namespace fovea::engine
