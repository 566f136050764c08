// Finish reasons, usage and logprob JSON, response ids.
// Must not contain HTTP transport.
#include "serve/response_types.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <random>

namespace fovea::serve {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kAbort:
      return "abort";
    case FinishReason::kError:
      return "error";
  }
  return "stop";
}

nlohmann::ordered_json stop_reason_to_json(const StopReason& reason) {
  if (reason.stop_string) return *reason.stop_string;
  if (reason.stop_token_id) return *reason.stop_token_id;
  return nullptr;
}

nlohmann::ordered_json usage_to_json(const Usage& usage) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["prompt_tokens"] = usage.prompt_tokens;
  out["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  out["completion_tokens"] = usage.completion_tokens;
  if (usage.cached_tokens) out["prompt_tokens_details"] = {{"cached_tokens", *usage.cached_tokens}};
  return out;
}

double json_safe_logprob(double logprob) {
  constexpr double kFloor = -9999.0;
  if (std::isnan(logprob) || logprob < kFloor) return kFloor;
  return logprob;
}

std::string make_response_id(std::string_view prefix) {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return fmt::format("{}{:016x}{:016x}", prefix, generator(), generator());
}

int64_t unix_time_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace fovea::serve
