// SamplingOptions: the sampling and stopping fields shared by /v1/chat/completions and /v1/completions (OpenAI's
// plus vLLM's extensions), validated with vLLM's ranges. Unset optionals mean "server default" (generation
// config, then OpenAI's defaults), as in vLLM. Also the refusal of OpenAI/vLLM features fovea does not implement.
// Must not contain message or prompt parsing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/api_error.h"
#include "serve/request_limits.h"

namespace fovea::serve {

struct SamplingOptions {
  std::optional<double> temperature;         // [0, 2]; 0 is greedy
  std::optional<double> top_p;               // (0, 1]
  std::optional<int32_t> top_k;              // 0 disables (vLLM also accepts -1, stored as 0)
  std::optional<double> min_p;               // [0, 1]
  std::optional<double> presence_penalty;    // [-2, 2]
  std::optional<double> frequency_penalty;   // [-2, 2]
  std::optional<double> repetition_penalty;  // > 0; 1 is off
  std::optional<int64_t> seed;
  std::vector<std::string> stop;        // stop strings (non-empty)
  std::vector<int64_t> stop_token_ids;  // token ids that end generation
  int32_t n = 1;                        // choices
  std::optional<int64_t> max_tokens;    // max_completion_tokens, else max_tokens; unset: up to the context
  int64_t min_tokens = 0;
  bool ignore_eos = false;
  bool include_stop_str_in_output = false;
  std::optional<bool> skip_special_tokens;  // unset: true
  bool spaces_between_special_tokens = true;
  std::vector<std::pair<int64_t, double>> logit_bias;  // token id -> bias in [-100, 100]
  std::optional<int64_t> truncate_prompt_tokens;       // keep the last N prompt tokens; -1: up to the context
  std::optional<int32_t> num_logprobs;                 // top logprobs per output token; unset: no logprobs
};

// Reads the shared fields of `body` (max_tokens is left to the caller: chat and completion differ).
MaybeApiError parse_sampling_options(const nlohmann::json& body, const RequestLimits& limits, SamplingOptions& out);

// Reads max_completion_tokens (preferred) or max_tokens into out.max_tokens; values below `min_tokens` are refused.
MaybeApiError parse_max_tokens(const nlohmann::json& body, int64_t min_tokens, SamplingOptions& out);

// Checks min_tokens against max_tokens and n against greedy sampling (vLLM's cross-field rules).
MaybeApiError check_sampling_consistency(const SamplingOptions& options);

// Refuses fields that ask for something fovea does not implement (beam search, structured outputs, prompt
// logprobs, bad_words, priority scheduling, ...) with 400 unsupported_parameter. Inactive values (false, null,
// [], 0) pass, so clients that always send them keep working.
MaybeApiError refuse_unsupported_features(const nlohmann::json& body);

// Field names this file reads or deliberately ignores (for the "ignored fields" list of a request).
const std::vector<std::string_view>& sampling_field_names();

// Keys of `body` that no parser knows: vLLM ignores extra fields (and logs them at debug level); so does fovea.
std::vector<std::string> unknown_fields(const nlohmann::json& body,
                                        std::initializer_list<const std::vector<std::string_view>*> known_lists);

}  // namespace fovea::serve
