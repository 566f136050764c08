// Request: what a user asked for, as the engine core sees it (token ids, image descriptors, limits), immutable once
// added. Must not contain scheduling state (that is Sequence), text, JSON or pixels.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/core/block_hash.h"

namespace fovea::engine {

// Defined by the sampler (outside the core); the core only carries it from the request to the model runner.
struct SamplingParams;

// One image (or other encoder input) of a prompt: which placeholder tokens its embeddings fill and what it costs.
struct MultimodalInput {
  ContentHash content_hash{};          // SHA-256 of its content and preprocessing; the encoder cache key
  int64_t placeholder_start_idx = 0;   // index in the prompt of its first placeholder token
  int64_t num_placeholder_tokens = 0;  // embeddings it produces = prompt tokens it fills = encoder cache footprint
  int64_t encoder_cost = 0;            // its share of the per-step encoder budget (e.g. vision patches), > 0
};

struct Request {
  std::string request_id;                                 // the caller's id, unique among live requests
  std::vector<int32_t> prompt_token_ids;                  // with image placeholders already expanded
  std::vector<MultimodalInput> multimodal_inputs;         // sorted by placeholder_start_idx, not overlapping
  std::shared_ptr<const SamplingParams> sampling_params;  // shared with the sampler; never read by the core
  int64_t max_tokens = 16;                                // generated tokens per sequence, >= 1
  int64_t min_tokens = 0;                                 // stop token ids do not finish a sequence before this many
  std::vector<int32_t> stop_token_ids;                    // generating one finishes the sequence (EOS included)
  int32_t n = 1;                                          // sequences fanned out from this prompt, >= 1
  std::string cache_salt;                                 // isolates this request's prefix-cache entries
  double arrival_time_s = 0;                              // caller's clock, passed through for metrics only

  // Checks what does not depend on the engine's limits: a non-empty prompt, n, max_tokens, image positions.
  base::Status validate() const;
};

}  // namespace fovea::engine
