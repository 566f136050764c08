// ModelSamplingInfo and bind_to_model: the last step of building SamplingParams, which needs the model and the
// prompt — EOS ids (vLLM's update_from_generation_config), max_tokens against the context length, logit_bias ids
// against the vocabulary — and the copy of the limits into engine::Request. Must not contain file reading.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/status.h"
#include "engine/core/request.h"
#include "engine/sampling/sampling_params.h"

namespace fovea::engine {

struct ModelSamplingInfo {
  std::optional<int32_t> eos_token_id;            // the tokenizer's EOS (vLLM's primary eos_token_id)
  std::vector<int32_t> generation_eos_token_ids;  // generation_config.json eos_token_id (int or list), if any
  int64_t max_model_len = 0;                      // context length in tokens, > 0
  int64_t vocab_size = 0;                         // logits columns, > 0
};

// Completes `params` for a prompt of `num_prompt_tokens` tokens, as vLLM: the tokenizer EOS becomes eos_token_id
// (unless ignore_eos) and joins all_stop_token_ids; the generation config's other EOS ids join all_stop_token_ids
// and, unless ignore_eos, stop_token_ids (before the request's own). max_tokens defaults to the room left in the
// context; an explicit max_tokens that does not fit, a prompt that leaves no room, or a logit_bias id outside the
// vocabulary is kInvalidArgument with vLLM's wording.
base::Status bind_to_model(SamplingParams& params, const ModelSamplingInfo& info, int64_t num_prompt_tokens);

// Copies the limits the scheduler enforces (max_tokens, min_tokens, finishing ids, n) into `request`.
void fill_request_limits(const SamplingParams& params, Request& request);

}  // namespace fovea::engine
