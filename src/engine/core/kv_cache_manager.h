// KvCacheManager: a sequence's view of the BlockPool: prefix-cache hits for a new or resumed sequence, slots for
// the tokens a step computes, caching of blocks as they fill, freeing, usage and hit statistics.
// Must not contain scheduling policy (who runs, budgets, preemption choice): that is the Scheduler.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/block_pool.h"
#include "engine/core/sequence.h"

namespace fovea::engine {

// Full blocks at the head of a sequence whose KV is already in the pool.
struct PrefixCacheHit {
  std::vector<int32_t> block_ids;
  int64_t num_tokens = 0;  // block_ids.size() * block_size
};

// Counted once per admission; sequences resumed after preemption are counted apart (they mostly hit themselves).
struct PrefixCacheStats {
  int64_t num_admissions = 0;
  int64_t num_query_tokens = 0;  // all tokens of the admitted sequences
  int64_t num_hit_tokens = 0;    // of those, tokens served by the cache
  int64_t num_resumed_admissions = 0;
  int64_t num_resumed_query_tokens = 0;
  int64_t num_resumed_hit_tokens = 0;
};

class KvCacheManager {
 public:
  KvCacheManager(int32_t num_blocks, int64_t block_size, int64_t max_model_len, bool enable_prefix_caching);

  int64_t block_size() const { return block_size_; }

  // The longest run of cached full blocks at the head of seq's tokens. It never covers the last token, whose
  // logits must be computed. Changes nothing: the hit is taken by allocate_slots.
  PrefixCacheHit find_prefix_hit(const Sequence& seq) const;

  // Makes room for positions up to seq.num_computed_tokens() + hit tokens + num_new_tokens + num_lookahead_tokens
  // (capped at max_model_len): takes the hit blocks first (hit is non-null exactly when admitting seq), then new
  // blocks. Returns false, changing nothing, when the free blocks do not suffice. Full blocks whose tokens this
  // step computes are registered in the prefix cache now, so a sequence admitted later in the same step can hit
  // them; the runner writes every scheduled token's KV of a layer before that layer reads the cache.
  bool allocate_slots(Sequence& seq, int64_t num_new_tokens, const PrefixCacheHit* hit, int64_t num_lookahead_tokens);

  // Gives back all of seq's blocks (tail first, so a shared head stays cached longest).
  void free(Sequence& seq);

  // Blocks needed to hold num_tokens tokens.
  int64_t num_blocks_for(int64_t num_tokens) const { return (num_tokens + block_size_ - 1) / block_size_; }
  double usage() const { return pool_.usage(); }
  bool reset_prefix_cache() { return pool_.reset_prefix_cache(); }
  const PrefixCacheStats& prefix_cache_stats() const { return stats_; }
  const BlockPool& block_pool() const { return pool_; }

 private:
  void cache_full_blocks(Sequence& seq, int64_t num_computed_after_step);

  BlockPool pool_;
  int64_t block_size_;
  int64_t max_model_len_;
  bool enable_prefix_caching_;
  PrefixCacheStats stats_;
  std::vector<int32_t> scratch_block_ids_;
};

}  // namespace fovea::engine
