// SchedulerConfig::validate: refuses limits the scheduler cannot make progress under, naming the flag to change.
// Must not contain scheduling.
#include "engine/core/scheduler_config.h"

namespace fovea::engine {

base::Status SchedulerConfig::validate() const {
  if (max_num_batched_tokens < 1) {
    return base::invalid_argument("max_num_batched_tokens is {}; set --max-num-batched-tokens to at least 1",
                                  max_num_batched_tokens);
  }
  if (max_num_seqs < 1) {
    return base::invalid_argument("max_num_seqs is {}; set --max-num-seqs to at least 1", max_num_seqs);
  }
  if (max_model_len < 2) {
    return base::invalid_argument("max_model_len is {}; set --max-model-len to at least 2", max_model_len);
  }
  if (block_size < 1 || block_size > (int64_t{1} << 20)) {
    return base::invalid_argument("block_size is {}; use a block size between 1 and 1048576 tokens", block_size);
  }
  if (num_blocks < 1) {
    return base::invalid_argument("the KV cache has {} blocks; give it more memory (--gpu-memory-utilization)",
                                  num_blocks);
  }
  if (max_encoder_cost_per_step < 0 || encoder_cache_size_tokens < 0 || num_lookahead_tokens < 0) {
    return base::invalid_argument("encoder budget {}, encoder cache size {} and lookahead {} must not be negative",
                                  max_encoder_cost_per_step, encoder_cache_size_tokens, num_lookahead_tokens);
  }
  const int64_t capacity_tokens = int64_t{num_blocks} * block_size;
  if (capacity_tokens < max_model_len + num_lookahead_tokens) {
    return base::invalid_argument(
        "the KV cache holds {} tokens ({} blocks of {}), fewer than one sequence of max_model_len {}; lower "
        "--max-model-len or give the KV cache more memory (--gpu-memory-utilization)",
        capacity_tokens, num_blocks, block_size, max_model_len + num_lookahead_tokens);
  }
  return base::Status::ok_status();
}

}  // namespace fovea::engine
