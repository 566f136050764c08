// SchedulerConfig: the limits the engine core runs under (vLLM's flag meanings), and their validation.
// Must not contain model or memory-planner logic: num_blocks comes from whoever sized the KV cache.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace fovea::engine {

struct SchedulerConfig {
  int64_t max_num_batched_tokens = 2048;  // tokens computed per step, all sequences (--max-num-batched-tokens)
  int32_t max_num_seqs = 256;             // running sequences at once (--max-num-seqs)
  int64_t max_model_len = 4096;           // prompt + generated tokens of one sequence (--max-model-len)
  int64_t block_size = 16;                // tokens per KV block
  int32_t num_blocks = 0;                 // KV blocks in the pool
  bool enable_prefix_caching = true;      // --enable-prefix-caching
  int64_t max_encoder_cost_per_step = 0;  // encoder budget per step, in MultimodalInput::encoder_cost units
  int64_t encoder_cache_size_tokens = 0;  // encoder cache capacity, in placeholder tokens (0: no images)
  int64_t num_lookahead_tokens = 0;       // extra slots reserved past the scheduled tokens (speculative decoding)

  // An error names the flag to change; a KV cache too small for one max_model_len sequence is refused, because such
  // a sequence could never run even alone.
  base::Status validate() const;
};

}  // namespace fovea::engine
