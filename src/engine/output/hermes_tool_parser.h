// HermesToolParser: vLLM's `hermes` tool-call parser for <tool_call>{"name": ..., "arguments": ...}</tool_call>
// blocks in a sequence's content. Streaming: content before the first <tool_call> (a partial tag held back), then
// per call a first delta with id and name and later deltas with the arguments text as the model writes it.
// Non-streaming (extract): every block must be a JSON object with a string "name" and an "arguments" value, else
// the whole text stays content. Must not contain reasoning parsing or detokenization.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/output/output_types.h"

namespace fovea::engine {

// "chatcmpl-tool-" + 32 random hex digits, as vLLM's make_tool_call_id; thread-safe.
std::string make_tool_call_id();

struct ExtractedToolCalls {
  bool tools_called = false;
  std::vector<ToolCall> tool_calls;
  std::string content;  // text before the first <tool_call> when tools_called, else the whole text
};

class HermesToolParser {
 public:
  struct Delta {
    std::string content;
    std::vector<ToolCallChunk> tool_calls;
  };

  // The non-streaming parse of a whole content text (vLLM's extract_tool_calls).
  static ExtractedToolCalls extract(std::string_view text);

  // Adds content text; returns the new content and tool-call pieces. With `finished`, text held back as a
  // possible tag is released, and when no call ever got a name, everything from the first <tool_call> on is
  // released as content (invalid tool calls stay content).
  Delta push(std::string_view text, bool finished);

  // Some call was streamed (vLLM then reports finish_reason "tool_calls").
  bool tools_called() const { return !calls_.empty() && !calls_.front().name.empty(); }

 private:
  struct StreamedCall {
    std::string name;       // empty until the name was sent
    std::string arguments;  // arguments text sent so far
  };

  std::string text_;  // all content text so far
  size_t num_sent_content_bytes_ = 0;
  size_t num_searched_bytes_ = 0;              // text_ searched for the first <tool_call>
  size_t first_call_pos_ = std::string::npos;  // where the first <tool_call> starts, once seen
  std::vector<StreamedCall> calls_;
};

}  // namespace fovea::engine
