// CompletionRequest: a validated POST /v1/completions body (OpenAI's legacy completions plus vLLM's extensions).
// A prompt is text or token ids; several prompts in one request are accepted up to RequestLimits::
// max_prompts_per_request. Parsing never throws; every failure is an ApiError naming the field.
// Must not contain tokenization or model-name routing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"
#include "serve/request_limits.h"
#include "serve/sampling_options.h"

namespace fovea::serve {

struct CompletionPrompt {
  bool is_token_ids = false;
  std::string text;                // !is_token_ids
  std::vector<int64_t> token_ids;  // is_token_ids
};

struct CompletionRequest {
  std::string model;
  std::vector<CompletionPrompt> prompts;  // at least one
  SamplingOptions sampling;               // max_tokens defaults to 16 as in OpenAI and vLLM; logprobs -> num_logprobs
  bool echo = false;                      // prepend the prompt to the output
  bool stream = false;
  bool include_usage = false;
  bool continuous_usage_stats = false;
  bool add_special_tokens = true;
  std::string request_id;
  std::optional<std::string> cache_salt;
  bool return_token_ids = false;
  std::vector<std::string> ignored_fields;
};

ApiResult<CompletionRequest> parse_completion_request(std::string_view body, const RequestLimits& limits);
ApiResult<CompletionRequest> completion_request_from_json(const nlohmann::json& body, const RequestLimits& limits);

}  // namespace fovea::serve
