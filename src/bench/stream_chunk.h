// One "data:" payload of an OpenAI streamed answer, read as the bench needs it: whether it carries choices and
// output text (chat content or reasoning, or a completion's text), the usage chunk's token counts, an error object
// sent mid-stream, or the "[DONE]" end marker. The payload is server bytes: every shape error is a Status.
// Must not contain SSE framing or timing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::bench {

struct StreamUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct StreamChunk {
  bool is_done = false;      // the "[DONE]" marker
  bool has_choices = false;  // a non-empty "choices" array (a role, token or finish chunk)
  bool has_output = false;   // some choice carried non-empty content, reasoning or text
  std::string text;          // that output, in choice order (content and reasoning alike)
  std::optional<StreamUsage> usage;
  std::optional<std::string> error_message;  // {"error": {...}}: the server gave up after the stream started
};

base::Result<StreamChunk> parse_stream_chunk(std::string_view data);

}  // namespace fovea::bench
