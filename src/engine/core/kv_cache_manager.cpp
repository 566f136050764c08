// KvCacheManager: prefix-hit lookup, slot allocation with hit blocks taken before new ones, block caching, freeing.
// Must not contain scheduling policy.
#include "engine/core/kv_cache_manager.h"

#include <algorithm>

#include "base/check.h"

namespace fovea::engine {

KvCacheManager::KvCacheManager(int32_t num_blocks, int64_t block_size, int64_t max_model_len,
                               bool enable_prefix_caching)
    : pool_(num_blocks),
      block_size_(block_size),
      max_model_len_(max_model_len),
      enable_prefix_caching_(enable_prefix_caching) {
  FOVEA_CHECK(block_size > 0 && max_model_len > 0, "block size {} and max_model_len {} must be positive", block_size,
              max_model_len);
}

PrefixCacheHit KvCacheManager::find_prefix_hit(const Sequence& seq) const {
  PrefixCacheHit hit;
  if (!enable_prefix_caching_) return hit;
  FOVEA_CHECK(seq.block_ids().empty() && seq.num_computed_tokens() == 0,
              "prefix lookup for sequence {} which already holds blocks", seq.seq_id());
  const auto max_hit_blocks = static_cast<size_t>((seq.num_tokens() - 1) / block_size_);
  const std::span<const BlockHash> hashes = seq.block_hashes();
  for (size_t block_idx = 0; block_idx < std::min(max_hit_blocks, hashes.size()); ++block_idx) {
    const std::optional<int32_t> block_id = pool_.find_cached(hashes[block_idx]);
    if (!block_id) break;
    hit.block_ids.push_back(*block_id);
  }
  hit.num_tokens = static_cast<int64_t>(hit.block_ids.size()) * block_size_;
  return hit;
}

bool KvCacheManager::allocate_slots(Sequence& seq, int64_t num_new_tokens, const PrefixCacheHit* hit,
                                    int64_t num_lookahead_tokens) {
  FOVEA_CHECK(num_new_tokens >= 0 && num_lookahead_tokens >= 0, "negative token counts for sequence {}", seq.seq_id());
  const int64_t num_hit_tokens = hit ? hit->num_tokens : 0;
  const int64_t num_computed_after_step = seq.num_computed_tokens() + num_hit_tokens + num_new_tokens;
  FOVEA_CHECK(num_computed_after_step <= seq.num_tokens(), "sequence {}: scheduling {} tokens past its {} tokens",
              seq.seq_id(), num_computed_after_step, seq.num_tokens());
  const int64_t num_slot_tokens = std::min(num_computed_after_step + num_lookahead_tokens, max_model_len_);
  const auto num_held_blocks = static_cast<int64_t>(seq.block_ids().size());
  const auto num_hit_blocks = hit ? static_cast<int64_t>(hit->block_ids.size()) : 0;
  const int64_t num_new_blocks =
      std::max<int64_t>(0, num_blocks_for(num_slot_tokens) - num_held_blocks - num_hit_blocks);

  // Hit blocks nobody holds sit in the free list: taking them uses up free blocks just like new ones.
  int64_t num_free_hit_blocks = 0;
  if (hit) {
    for (int32_t block_id : hit->block_ids) num_free_hit_blocks += pool_.ref_count(block_id) == 0 ? 1 : 0;
  }
  if (num_new_blocks + num_free_hit_blocks > pool_.num_free_blocks()) return false;

  std::vector<int32_t>& block_ids = seq.mutable_block_ids();
  if (hit) {
    FOVEA_CHECK(block_ids.empty(), "sequence {} admitted while holding blocks", seq.seq_id());
    // Touch before allocating, so allocation cannot evict the blocks just hit.
    pool_.touch(hit->block_ids);
    block_ids.insert(block_ids.end(), hit->block_ids.begin(), hit->block_ids.end());
    seq.set_num_cached_blocks(num_hit_blocks);
    const bool resumed = seq.num_preemptions() > 0;
    (resumed ? stats_.num_resumed_admissions : stats_.num_admissions) += 1;
    (resumed ? stats_.num_resumed_query_tokens : stats_.num_query_tokens) += seq.num_tokens();
    (resumed ? stats_.num_resumed_hit_tokens : stats_.num_hit_tokens) += num_hit_tokens;
  }
  pool_.allocate(static_cast<int32_t>(num_new_blocks), block_ids);
  if (enable_prefix_caching_) cache_full_blocks(seq, num_computed_after_step);
  return true;
}

void KvCacheManager::cache_full_blocks(Sequence& seq, int64_t num_computed_after_step) {
  const std::vector<int32_t>& block_ids = seq.block_ids();
  const std::span<const BlockHash> hashes = seq.block_hashes();
  const auto num_full_blocks = static_cast<int64_t>(
      std::min({static_cast<size_t>(num_computed_after_step / block_size_), hashes.size(), block_ids.size()}));
  for (int64_t block_idx = seq.num_cached_blocks(); block_idx < num_full_blocks; ++block_idx) {
    pool_.cache_block(block_ids[static_cast<size_t>(block_idx)], hashes[static_cast<size_t>(block_idx)]);
  }
  seq.set_num_cached_blocks(std::max(seq.num_cached_blocks(), num_full_blocks));
}

void KvCacheManager::free(Sequence& seq) {
  std::vector<int32_t>& block_ids = seq.mutable_block_ids();
  scratch_block_ids_.assign(block_ids.rbegin(), block_ids.rend());
  pool_.release(scratch_block_ids_);
  block_ids.clear();
  seq.set_num_cached_blocks(0);
}

}  // namespace fovea::engine
