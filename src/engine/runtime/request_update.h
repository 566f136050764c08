// RequestUpdate: what the engine reports to the HTTP layer about one request, step by step: per choice the new
// text (content, reasoning, tool-call deltas), token ids and logprobs, and the finish; with the finish the choice's
// whole answer as a non-streaming response reports it; at the end the usage and timings. Streaming responses send
// each update as chunks; non-streaming ones concatenate them and take the answers. Must not contain JSON or HTTP
// types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/output/output_types.h"

namespace fovea::engine {

struct TopLogprobEntry {
  int32_t token_id = 0;
  std::string token;  // the token's text (byte-level pieces decoded as vLLM shows them)
  float logprob = 0.0f;
};

struct TokenLogprobEntry {
  int32_t token_id = 0;
  std::string token;
  float logprob = 0.0f;
  std::vector<TopLogprobEntry> top;  // the request's `top_logprobs` best, best first
};

// A tool call as the hermes parser streams it: the first delta of a call has id and name, later ones append to
// the arguments text.
struct ToolCallDelta {
  int32_t index = 0;  // the call's position among this choice's calls
  std::optional<std::string> id;
  std::optional<std::string> name;
  std::string arguments_delta;
};

enum class FinishKind { kNone, kStop, kLength, kToolCalls, kAbort, kError };

struct ChoiceUpdate {
  int32_t index = 0;  // the choice (0..n-1)
  std::string content_delta;
  std::string reasoning_delta;
  std::vector<ToolCallDelta> tool_calls;
  std::vector<int32_t> token_ids;          // new tokens of this update
  std::vector<TokenLogprobEntry> logprobs;  // one per new token when the request asked for logprobs
  FinishKind finish = FinishKind::kNone;
  std::optional<std::string> stop_string;   // the stop string that finished it
  std::optional<int32_t> stop_token_id;     // the stop token (not the primary EOS) that finished it
};

// A finished choice as a non-streaming response reports it. vLLM parses the whole text again for it, which can
// differ from the joined deltas: tool-call arguments re-serialized as json.dumps, a call the stream had announced
// kept as content when its block is not valid JSON, finish_reason "tool_calls" only when calls were extracted.
struct ChoiceAnswer {
  int32_t index = 0;
  std::optional<std::string> reasoning;  // nullopt: the response has no reasoning field
  std::optional<std::string> content;    // nullopt: "content": null
  std::vector<ToolCall> tool_calls;
  FinishKind finish = FinishKind::kStop;
};

struct RequestUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // summed over choices
  int64_t cached_tokens = 0;      // prompt tokens served from the prefix cache
};

struct RequestTimings {
  double queue_s = 0.0;          // arrival to first scheduled
  double first_token_s = 0.0;    // arrival to first token
  double vision_encoder_s = 0.0;  // time spent in the vision tower for this request's images
  double end_to_end_s = 0.0;
};

struct RequestUpdate {
  std::vector<ChoiceUpdate> choices;  // only choices that changed
  bool finished = false;              // the last update of the request: every choice has finished
  RequestUsage usage;                 // running totals; final when finished
  RequestTimings timings;             // final when finished
  std::vector<int32_t> prompt_token_ids;  // first update only, when OutputOptions::return_token_ids or echo
  // Set on the last update when the engine failed the request after accepting it (every choice kError): a message
  // safe to show the client.
  std::optional<std::string> error_message;
  // The answers of the choices that finished in this update (from the output processor; none for kError).
  std::vector<ChoiceAnswer> answers;
};

}  // namespace fovea::engine
