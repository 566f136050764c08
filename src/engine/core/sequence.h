// Sequence: the scheduler's state for one generated continuation of a Request (n > 1 fans out into n of them):
// all token ids, how many have KV computed, the block table, status and finish reason.
// Must not contain scheduling policy (Scheduler) or block accounting (KvCacheManager, BlockPool).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/core/block_hash.h"
#include "engine/core/request.h"

namespace fovea::engine {

using SeqId = uint64_t;

enum class SequenceStatus : uint8_t {
  kWaiting,    // added, never scheduled
  kRunning,    // admitted: holds blocks, is scheduled every step it gets budget
  kPreempted,  // its blocks were taken back; waits to recompute everything it had
  kFinished,   // done (see FinishReason); holds nothing
};

enum class FinishReason : uint8_t {
  kNone,         // not finished
  kStopToken,    // generated one of the request's stop token ids
  kStopString,   // the engine loop found a stop string (finish_sequence from outside)
  kMaxTokens,    // generated max_tokens tokens
  kMaxModelLen,  // reached the model's context length
  kAbort,        // aborted by the client or the server
};

const char* sequence_status_name(SequenceStatus status);
const char* finish_reason_name(FinishReason reason);

class Sequence {
 public:
  // block_size: tokens per KV block, for the block hashes kept here as the token ids grow.
  Sequence(SeqId seq_id, std::shared_ptr<const Request> request, int32_t child_idx, uint64_t priority_order,
           int64_t block_size);

  SeqId seq_id() const { return seq_id_; }
  const Request& request() const { return *request_; }
  const std::shared_ptr<const Request>& shared_request() const { return request_; }
  int32_t child_idx() const { return child_idx_; }
  // Lower is older and more important: the order add_request saw it. Preemption takes the highest first.
  uint64_t priority_order() const { return priority_order_; }

  std::span<const int32_t> token_ids() const { return token_ids_; }
  std::span<const int32_t> output_token_ids() const {
    return std::span<const int32_t>(token_ids_).subspan(static_cast<size_t>(num_prompt_tokens_));
  }
  int64_t num_tokens() const { return static_cast<int64_t>(token_ids_.size()); }
  int64_t num_prompt_tokens() const { return num_prompt_tokens_; }
  int64_t num_output_tokens() const { return num_tokens() - num_prompt_tokens_; }
  // Hashes of every full block of token_ids (index i covers tokens [i * block_size, (i + 1) * block_size)).
  std::span<const BlockHash> block_hashes() const { return block_hashes_; }

  // Appends a sampled token and hashes the block it completes, if any.
  void append_token(int32_t token_id);

  // Tokens whose KV is computed (or scheduled to be computed by the step in flight).
  int64_t num_computed_tokens() const { return num_computed_tokens_; }
  void set_num_computed_tokens(int64_t num_computed_tokens);

  // The block table: KV block ids holding positions [i * block_size, (i + 1) * block_size). Only the
  // KvCacheManager changes it.
  const std::vector<int32_t>& block_ids() const { return block_ids_; }
  std::vector<int32_t>& mutable_block_ids() { return block_ids_; }
  // Leading blocks of the table already offered to the prefix cache (KvCacheManager's bookkeeping).
  int64_t num_cached_blocks() const { return num_cached_blocks_; }
  void set_num_cached_blocks(int64_t num_cached_blocks) { num_cached_blocks_ = num_cached_blocks; }

  SequenceStatus status() const { return status_; }
  void set_status(SequenceStatus status) { status_ = status; }
  bool is_finished() const { return status_ == SequenceStatus::kFinished; }
  FinishReason finish_reason() const { return finish_reason_; }
  // Marks it finished; the caller has already given back its blocks and encoder cache references.
  void finish(FinishReason reason);

  int32_t num_preemptions() const { return num_preemptions_; }
  // Back to zero computed tokens, status kPreempted; the caller has given back its blocks.
  void preempt();

  // Prompt tokens served by the prefix cache at the first admission; -1 before it.
  int64_t num_prefix_cached_tokens() const { return num_prefix_cached_tokens_; }
  void set_num_prefix_cached_tokens(int64_t num_tokens) { num_prefix_cached_tokens_ = num_tokens; }

 private:
  void extend_block_hashes();

  SeqId seq_id_;
  std::shared_ptr<const Request> request_;  // shared with the engine loop and the other children of the request
  int32_t child_idx_;
  uint64_t priority_order_;
  int64_t block_size_;
  std::vector<int32_t> token_ids_;  // prompt then generated tokens
  int64_t num_prompt_tokens_;
  std::vector<BlockHash> block_hashes_;
  int64_t num_computed_tokens_ = 0;
  std::vector<int32_t> block_ids_;
  int64_t num_cached_blocks_ = 0;
  SequenceStatus status_ = SequenceStatus::kWaiting;
  FinishReason finish_reason_ = FinishReason::kNone;
  int32_t num_preemptions_ = 0;
  int64_t num_prefix_cached_tokens_ = -1;
};

}  // namespace fovea::engine
