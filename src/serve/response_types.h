// Pieces shared by the response builders: finish and stop reasons, usage, token logprobs, the response identity
// (id, created, model) and id generation. Must not contain HTTP transport.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::serve {

enum class FinishReason { kStop, kLength, kToolCalls, kAbort, kError };
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "tool_calls", "abort", "error"

// vLLM's stop_reason: the stop string or stop token id that ended the choice; null for EOS or length.
struct StopReason {
  std::optional<std::string> stop_string;
  std::optional<int64_t> stop_token_id;
};
nlohmann::ordered_json stop_reason_to_json(const StopReason& reason);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::optional<int64_t> cached_tokens;  // prompt_tokens_details.cached_tokens (--enable-prompt-tokens-details)
};
// {"prompt_tokens", "total_tokens", "completion_tokens"[, "prompt_tokens_details": {"cached_tokens"}]}
nlohmann::ordered_json usage_to_json(const Usage& usage);

struct TopLogprob {
  std::string token;
  double logprob = 0.0;
};

struct TokenLogprob {
  std::string token;
  double logprob = 0.0;
  std::vector<TopLogprob> top_logprobs;
};

// A logprob as JSON: -inf (and NaN) become vLLM's -9999.0, since JSON has no infinities.
double json_safe_logprob(double logprob);

// The fields every response and chunk of one request repeats.
struct ResponseIdentity {
  std::string id;       // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;    // the served name the client used
};

// prefix + 32 random hex digits (as vLLM's random_uuid().hex); thread-safe.
std::string make_response_id(std::string_view prefix);
int64_t unix_time_now_s();

}  // namespace fovea::serve
