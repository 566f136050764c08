// JSON builders for /v1/completions answers (response and stream chunks), in OpenAI's legacy completions shape
// with vLLM's stop_reason and token_ids. Must not contain SSE framing or HTTP transport.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serve/response_types.h"

namespace fovea::serve {

// OpenAI's completion logprobs: parallel arrays, one entry per output token.
struct CompletionLogprobs {
  std::vector<std::string> tokens;
  std::vector<std::optional<double>> token_logprobs;  // null for the first echoed prompt token
  std::vector<std::vector<TopLogprob>> top_logprobs;
  std::vector<int64_t> text_offset;  // byte offset of each token in the choice's text
};

struct CompletionChoice {
  int32_t index = 0;
  std::string text;
  std::optional<FinishReason> finish_reason;  // unset in stream chunks before the last
  StopReason stop_reason;
  std::optional<CompletionLogprobs> logprobs;
  std::optional<std::vector<int64_t>> token_ids;
};

nlohmann::ordered_json build_completion(const ResponseIdentity& identity, const std::vector<CompletionChoice>& choices,
                                        const Usage& usage);

// One stream chunk ("object": "text_completion", as vLLM and OpenAI send); `usage` only with
// continuous_usage_stats.
nlohmann::ordered_json build_completion_chunk(const ResponseIdentity& identity,
                                              const std::vector<CompletionChoice>& choices,
                                              const std::optional<Usage>& usage);

// The last chunk with stream_options.include_usage: "choices": [] and the usage.
nlohmann::ordered_json build_completion_usage_chunk(const ResponseIdentity& identity, const Usage& usage);

}  // namespace fovea::serve
