// The per-row logits transforms of the sampler, in vLLM's order: min_tokens mask, logit_bias, penalties
// (repetition on prompt + output, then frequency and presence on output), temperature, min_p, top-k, top-p.
// Each works in place on one row of f32 logits; masked entries become -inf. Must not contain random draws or
// logprob bookkeeping (sampler.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace fovea::engine {

// Masks `stop_ids` to -inf (ids outside the row are ignored): vLLM's min_tokens processor.
void apply_stop_mask(std::span<float> logits, std::span<const int32_t> stop_ids);

// Adds each bias to its id's logit (ids outside the row are ignored).
void apply_logit_bias(std::span<float> logits, std::span<const std::pair<int32_t, float>> bias);

// Scratch for apply_penalties, kept per thread so each row costs O(prompt + output), not O(vocab).
struct PenaltyScratch {
  std::vector<int32_t> counts;  // [vocab] output occurrences; all zero between calls
  std::vector<uint8_t> seen;    // [vocab] repetition flags; all zero between calls
};

// vLLM's apply_penalties: every id of prompt or output gets the repetition penalty once (logit / p when > 0,
// logit * p otherwise, as HF's RepetitionPenaltyLogitsProcessor); then logit -= frequency * output count and
// logit -= presence * (count > 0). Ids outside the row are ignored.
void apply_penalties(std::span<float> logits, std::span<const int32_t> prompt_ids, std::span<const int32_t> output_ids,
                     double repetition_penalty, double frequency_penalty, double presence_penalty,
                     PenaltyScratch& scratch);

// logit / temperature (temperature > 0).
void apply_temperature(std::span<float> logits, double temperature);

// Masks ids whose probability is below min_p times the largest probability (HF's MinPLogitsWarper); 0 is off.
void apply_min_p(std::span<float> logits, double min_p);

// Applies top-k (kTopKOff or k >= the number of finite logits: off; ties with the k-th value are kept, as
// torch.topk thresholds in HF and vLLM) then top-p (an id is kept while the probability mass of the ids ranked
// above it is below top_p, ranking ties by lower id; at least one is kept). Masks the rest to -inf and returns the
// kept ids in id order.
std::vector<int32_t> apply_top_k_top_p(std::span<float> logits, int32_t top_k, double top_p);

}  // namespace fovea::engine
