// ReasoningSplitter: splits one sequence's output text into reasoning (between <think> and </think>) and content,
// for vLLM's `qwen3` and `deepseek_r1` reasoning parsers. It works on text as it streams in, holding back a suffix
// that could still become a tag, so any chunking of the same text gives the same split; the non-streaming split is
// the same machine fed the whole text. Must not contain detokenization or tool-call parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::engine {

enum class ReasoningParserKind : uint8_t { kNone, kQwen3, kDeepSeekR1 };

// "qwen3" / "deepseek_r1" (vLLM's --reasoning-parser names); an unknown name lists the valid ones.
base::Result<ReasoningParserKind> parse_reasoning_parser_name(std::string_view name);
const char* reasoning_parser_name(ReasoningParserKind kind);

// Where the output starts, from the prompt as vLLM's is_reasoning_end decides it: the last of <think> and
// </think> in the prompt wins (</think>: the template closed reasoning, e.g. Qwen3 with enable_thinking=false;
// <think>: the template opened it). Without either, the output starts in reasoning (the model opens <think> itself
// or the template opened it in text), except for qwen3 with enable_thinking=false, which is all content.
bool output_starts_in_reasoning(ReasoningParserKind kind, std::span<const int32_t> prompt_token_ids,
                                std::optional<int32_t> think_start_id, std::optional<int32_t> think_end_id,
                                bool enable_thinking);

class ReasoningSplitter {
 public:
  struct Split {
    std::string reasoning;
    std::string content;
  };

  explicit ReasoningSplitter(bool starts_in_reasoning) : in_reasoning_(starts_in_reasoning) {}

  // Adds text; returns what became final. While in reasoning, the first "<think>" is dropped (a model that opens
  // it itself) and "</think>" switches to content; both tags are dropped from the output.
  Split push(std::string_view text);
  // Ends the stream: what was held back goes to the current part.
  Split finish();

  bool in_reasoning() const { return in_reasoning_; }

 private:
  bool in_reasoning_;
  bool start_tag_dropped_ = false;
  std::string pending_;  // held back: a suffix that may still become a tag
};

}  // namespace fovea::engine
