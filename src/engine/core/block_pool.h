// BlockPool: the fixed set of KV blocks: ref counts, the free list in eviction order (least recently freed first),
// and the map from block hash to the cached full block that holds those tokens' KV.
// Must not contain sequence or scheduling logic (KvCacheManager decides what to allocate, hit and cache).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/core/block_hash.h"

namespace fovea::engine {

class BlockPool {
 public:
  explicit BlockPool(int32_t num_blocks);

  int32_t num_blocks() const { return static_cast<int32_t>(blocks_.size()); }
  // Blocks nobody holds, cached or not: what allocate() can hand out.
  int32_t num_free_blocks() const { return num_free_; }
  // Fraction of blocks held by sequences, in [0, 1].
  double usage() const;

  // Appends num_blocks blocks taken from the head of the free list to out, each with ref count 1. A taken block
  // that was cached loses its hash (it is evicted). The caller checks num_free_blocks() first.
  void allocate(int32_t num_blocks, std::vector<int32_t>& out);
  // One more holder for each block (a prefix-cache hit); a free block leaves the free list.
  void touch(std::span<const int32_t> block_ids);
  // One holder fewer for each block; a block reaching zero goes to the tail of the free list, in the order given,
  // keeping its hash so a later request may still hit it until it is evicted.
  void release(std::span<const int32_t> block_ids_in_eviction_order);

  // Registers a held full block under hash. Returns false (and changes nothing) when the hash already names a
  // block: two sequences computed the same block; the first stays the cached one, the second stays unnamed.
  bool cache_block(int32_t block_id, const BlockHash& hash);
  std::optional<int32_t> find_cached(const BlockHash& hash) const;
  // Forgets every hash. Refused (returns false) while any block is held, because held blocks of running sequences
  // would keep KV that a caller resetting the cache (e.g. after a weight change) wants gone.
  bool reset_prefix_cache();

  // Introspection for metrics and tests.
  int32_t ref_count(int32_t block_id) const;
  std::optional<BlockHash> block_hash(int32_t block_id) const;
  int64_t num_cached_blocks() const { return static_cast<int64_t>(cached_.size()); }
  int64_t num_evictions() const { return num_evictions_; }
  // The free list from head (next to be taken) to tail.
  std::vector<int32_t> free_block_ids() const;

 private:
  struct Block {
    int32_t ref_count = 0;
    bool has_hash = false;
    BlockHash hash{};
    int32_t prev_free_idx = -1;  // free list links (indices into blocks_); meaningful only while ref_count == 0
    int32_t next_free_idx = -1;
  };

  void check_block_id(int32_t block_id) const;
  void unlink_free(int32_t block_id);
  void push_free_tail(int32_t block_id);

  std::vector<Block> blocks_;
  int32_t free_head_idx_ = -1;
  int32_t free_tail_idx_ = -1;
  int32_t num_free_ = 0;
  std::unordered_map<BlockHash, int32_t, DigestHasher> cached_;
  int64_t num_evictions_ = 0;
};

}  // namespace fovea::engine
