// Request::validate: the request-only checks, with messages a user can act on.
// Must not contain checks against engine limits (the Scheduler does those).
#include "engine/core/request.h"

namespace fovea::engine {

base::Status Request::validate() const {
  if (prompt_token_ids.empty()) {
    return base::invalid_argument("request {}: the prompt is empty; send at least one token", request_id);
  }
  if (n < 1) return base::invalid_argument("request {}: n is {}; it must be at least 1", request_id, n);
  if (max_tokens < 1) {
    return base::invalid_argument("request {}: max_tokens is {}; it must be at least 1", request_id, max_tokens);
  }
  if (min_tokens < 0 || min_tokens > max_tokens) {
    return base::invalid_argument("request {}: min_tokens is {}; it must be between 0 and max_tokens ({})", request_id,
                                  min_tokens, max_tokens);
  }
  const auto num_prompt_tokens = static_cast<int64_t>(prompt_token_ids.size());
  int64_t previous_end_idx = 0;
  for (size_t input_idx = 0; input_idx < multimodal_inputs.size(); ++input_idx) {
    const MultimodalInput& input = multimodal_inputs[input_idx];
    if (input.num_placeholder_tokens < 1 || input.encoder_cost < 1) {
      return base::invalid_argument(
          "request {}: image {} has {} placeholder tokens and encoder cost {}; both must be at least 1", request_id,
          input_idx, input.num_placeholder_tokens, input.encoder_cost);
    }
    if (input.placeholder_start_idx < previous_end_idx ||
        input.placeholder_start_idx > num_prompt_tokens - input.num_placeholder_tokens) {
      return base::invalid_argument(
          "request {}: image {} claims {} prompt tokens from index {}, which are outside the {}-token prompt or "
          "overlap the previous image; images must be in prompt order and inside the prompt",
          request_id, input_idx, input.num_placeholder_tokens, input.placeholder_start_idx, num_prompt_tokens);
    }
    previous_end_idx = input.placeholder_start_idx + input.num_placeholder_tokens;
  }
  return base::Status::ok_status();
}

}  // namespace fovea::engine
