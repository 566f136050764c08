// SamplingRequest: the sampling and stopping fields as a request gave them, before server defaults. An unset
// optional means "not in the request": apply_generation_defaults (generation_defaults.h) fills it from the model's
// generation config, then from vLLM's neutral defaults. The serve layer's validated SamplingOptions map onto it
// field by field. Must not contain defaults logic or JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fovea::engine {

struct SamplingRequest {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int32_t> top_k;  // 0 and -1 both mean off
  std::optional<double> min_p;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<double> repetition_penalty;
  std::optional<int64_t> seed;  // -1 means unseeded, as in vLLM
  int32_t n = 1;
  std::optional<int64_t> max_tokens;  // unset: generation config's max_new_tokens, else up to the context
  int64_t min_tokens = 0;
  std::vector<std::string> stop;
  std::vector<int64_t> stop_token_ids;
  bool ignore_eos = false;
  bool include_stop_str_in_output = false;
  std::optional<bool> skip_special_tokens;             // unset: true
  std::optional<int32_t> logprobs;                     // top logprobs per token; unset: none
  std::vector<std::pair<int64_t, double>> logit_bias;  // token id -> bias (clamped to [-100, 100])
};

}  // namespace fovea::engine
