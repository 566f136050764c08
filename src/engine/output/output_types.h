// What the output processor hands the server: per step an OutputDelta (the new text, split into reasoning,
// content and tool-call pieces, with token ids and logprobs), and once a sequence ends its FinalOutput (the
// non-streaming answer). Plain data in the shape of vLLM's outputs. Must not contain JSON or HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fovea::engine {

// vLLM's finish_reason values for a choice.
enum class OutputFinishReason : uint8_t {
  kStop,       // EOS, a stop token id or a stop string
  kLength,     // max_tokens or the context length
  kToolCalls,  // the tool-call parser found calls (overrides kStop and kLength, as vLLM)
  kAbort,      // aborted
};
const char* output_finish_reason_name(OutputFinishReason reason);  // "stop", "length", "tool_calls", "abort"

struct LogprobEntry {
  int32_t token_id = 0;
  float logprob = 0.0f;
  std::string token;  // the id decoded alone, special tokens kept (vLLM's logprob token text)
};

struct TokenLogprobs {
  LogprobEntry sampled;
  int64_t rank = 0;
  std::vector<LogprobEntry> top;  // highest first
};

// One piece of a streamed tool call: the first piece of call `index` carries id and name, later ones arguments.
struct ToolCallChunk {
  int32_t index = 0;
  std::string id;         // empty after the first piece
  std::string name;       // empty after the first piece
  std::string arguments;  // the next characters of the arguments JSON text, as the model wrote them
};

struct ToolCall {
  std::string id;  // "chatcmpl-tool-" + 32 hex digits
  std::string name;
  std::string arguments;  // JSON text as Python's json.dumps(arguments, ensure_ascii=False)
};

struct OutputDelta {
  int32_t child_idx = 0;
  std::string text;       // the new output text, before reasoning and tool parsing (/v1/completions)
  std::string reasoning;  // the new reasoning text (chat, with a reasoning parser)
  std::string content;    // the new content text (chat)
  std::vector<ToolCallChunk> tool_calls;
  std::vector<int32_t> token_ids;                   // the tokens of this step, all of them (also a stop token)
  std::vector<TokenLogprobs> logprobs;              // one per token when the request asked for logprobs
  std::optional<OutputFinishReason> finish_reason;  // set on the last delta of the sequence
  std::optional<std::string> stop_string;           // vLLM's stop_reason when a stop string ended it
  std::optional<int32_t> stop_token_id;             // vLLM's stop_reason when a stop id (not the EOS) ended it
  // The processor found a stop string: the engine must finish the sequence (FinishReason::kStopString).
  bool stopped_by_string = false;
};

struct FinalOutput {
  std::string text;                      // the whole output text, stop string removed unless included
  std::optional<std::string> reasoning;  // chat with a reasoning parser; nullopt: no reasoning part
  std::optional<std::string> content;    // chat; nullopt where vLLM answers null (empty, or only tool calls)
  std::vector<ToolCall> tool_calls;
  std::vector<int32_t> token_ids;
  std::vector<TokenLogprobs> logprobs;
  OutputFinishReason finish_reason = OutputFinishReason::kStop;
  std::optional<std::string> stop_string;
  std::optional<int32_t> stop_token_id;
};

}  // namespace fovea::engine
