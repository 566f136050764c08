// SamplingParams: how one request's tokens are chosen and when its sequences stop, fully resolved (request values
// over generation-config defaults, see generation_defaults.h) and bound to the model (EOS ids, max_tokens, see
// model_sampling_info.h). Immutable once built; the request's sequences share it through Request::sampling_params.
// Must not contain sampling code or request parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fovea::engine {

// Below this temperature a request is greedy (vLLM's _SAMPLING_EPS).
inline constexpr double kGreedyTemperature = 1e-5;
// Positive temperatures below this are raised to it, as vLLM does (_MAX_TEMP), to keep softmax finite.
inline constexpr double kMinRandomTemperature = 1e-2;
// top_k value meaning "no top-k" (vLLM accepts 0 and -1; fovea stores -1).
inline constexpr int32_t kTopKOff = -1;
// Most top logprobs one token may ask for (serve's --max-logprobs cap).
inline constexpr int32_t kMaxTopLogprobs = 1024;
// Largest |logit_bias| value; vLLM clamps to it.
inline constexpr float kMaxLogitBias = 100.0f;

struct SamplingParams {
  double temperature = 1.0;         // [0, 2]; below kGreedyTemperature: greedy (then top_p = 1, top_k off, min_p = 0)
  double top_p = 1.0;               // (0, 1]
  int32_t top_k = kTopKOff;         // kTopKOff or >= 1
  double min_p = 0.0;               // [0, 1]
  double presence_penalty = 0.0;    // [-2, 2], on output tokens
  double frequency_penalty = 0.0;   // [-2, 2], on output tokens, times their count
  double repetition_penalty = 1.0;  // > 0, on prompt and output tokens; 1 is off

  std::optional<int64_t> seed;  // the request's seed
  uint64_t generator_seed = 0;  // `seed`, or a random one drawn when the request had none (see sequence_seed)
  int32_t n = 1;                // sequences generated from the prompt

  std::optional<int64_t> max_tokens;  // generated tokens per sequence, >= 1; always set after bind_to_model
  bool max_tokens_requested = false;  // max_tokens came from the request: a prompt leaving less room is an error
  int64_t min_tokens = 0;             // stop ids (EOS included) are masked out until this many tokens exist

  std::vector<std::string> stop;            // stop strings, non-empty, searched in the decoded text
  std::vector<int32_t> stop_token_ids;      // finish ids besides the primary EOS (generation-config EOS ids included
                                            // unless ignore_eos), first occurrence order, no duplicates
  std::optional<int32_t> eos_token_id;      // the primary EOS; nullopt with ignore_eos or without one
  std::vector<int32_t> all_stop_token_ids;  // masked while fewer than min_tokens were generated: stop_token_ids
                                            // and every EOS id, even with ignore_eos (vLLM's _all_stop_token_ids)
  bool ignore_eos = false;
  bool include_stop_str_in_output = false;
  bool skip_special_tokens = true;

  std::optional<int32_t> logprobs;                    // top logprobs per token, [0, kMaxTopLogprobs]; nullopt: none
  std::vector<std::pair<int32_t, float>> logit_bias;  // sorted by id, unique ids, bias in [-100, 100]

  bool is_greedy() const { return temperature < kGreedyTemperature; }
  bool has_penalties() const {
    return presence_penalty != 0.0 || frequency_penalty != 0.0 || repetition_penalty != 1.0;
  }

  // Ids the scheduler finishes a sequence on (engine::Request::stop_token_ids): the primary EOS, then
  // stop_token_ids.
  std::vector<int32_t> finishing_token_ids() const;

  // vLLM's stop_reason for a sequence that finished on stop token `token_id`: nullopt for the primary EOS (vLLM
  // reports none), the id otherwise.
  std::optional<int32_t> stop_reason_for_token(int32_t token_id) const;

  // The generator seed of child `child_idx` of the request: vLLM seeds child i of a seeded request with seed + i;
  // unseeded children get generator_seed + i, which is as independent as separate random seeds.
  uint64_t sequence_seed(int32_t child_idx) const { return generator_seed + static_cast<uint64_t>(child_idx); }
};

}  // namespace fovea::engine
