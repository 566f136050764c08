// bind_to_model and fill_request_limits (see model_sampling_info.h). Must not contain request-level defaults
// (generation_defaults.cpp).
#include "engine/sampling/model_sampling_info.h"

#include <algorithm>

namespace fovea::engine {
namespace {

void add_unique(std::vector<int32_t>& ids, int32_t id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

}  // namespace

base::Status bind_to_model(SamplingParams& params, const ModelSamplingInfo& info, int64_t num_prompt_tokens) {
  if (num_prompt_tokens >= info.max_model_len) {
    return base::invalid_argument(
        "The prompt has {} tokens, but this model's maximum context length is {} tokens and at least one token "
        "must be generated; shorten the prompt.",
        num_prompt_tokens, info.max_model_len);
  }
  int64_t room_tokens = info.max_model_len - num_prompt_tokens;
  if (params.max_tokens.has_value() && *params.max_tokens > room_tokens) {
    if (params.max_tokens_requested) {
      return base::invalid_argument(
          "'max_tokens' or 'max_completion_tokens' is too large: {}. This model's maximum context length is {} "
          "tokens and your request has {} input tokens ({} > {} - {}).",
          *params.max_tokens, info.max_model_len, num_prompt_tokens, *params.max_tokens, info.max_model_len,
          num_prompt_tokens);
    }
    params.max_tokens = room_tokens;
  }
  if (!params.max_tokens.has_value()) params.max_tokens = room_tokens;
  if (params.min_tokens > *params.max_tokens) {
    return base::invalid_argument("`min_tokens` is {}, but only {} tokens fit after the prompt; lower min_tokens.",
                                  params.min_tokens, *params.max_tokens);
  }

  for (const auto& [id, bias] : params.logit_bias) {
    if (id >= info.vocab_size) {
      return base::invalid_argument(
          "token_id {} in logit_bias contains out-of-vocab token id; the vocabulary has "
          "{} ids.",
          id, info.vocab_size);
    }
  }

  std::vector<int32_t> all_stop = params.stop_token_ids;
  params.eos_token_id.reset();
  if (info.eos_token_id.has_value()) {
    add_unique(all_stop, *info.eos_token_id);
    if (!params.ignore_eos) params.eos_token_id = info.eos_token_id;
  }
  std::vector<int32_t> generation_eos;
  for (int32_t id : info.generation_eos_token_ids) {
    if (info.eos_token_id.has_value() && id == *info.eos_token_id) continue;
    add_unique(generation_eos, id);
    add_unique(all_stop, id);
  }
  if (!params.ignore_eos && !generation_eos.empty()) {
    for (int32_t id : params.stop_token_ids) add_unique(generation_eos, id);
    params.stop_token_ids = std::move(generation_eos);
  }
  params.all_stop_token_ids = std::move(all_stop);
  return base::Status::ok_status();
}

void fill_request_limits(const SamplingParams& params, Request& request) {
  request.max_tokens = params.max_tokens.value_or(1);
  request.min_tokens = params.min_tokens;
  request.stop_token_ids = params.finishing_token_ids();
  request.n = params.n;
}

}  // namespace fovea::engine
