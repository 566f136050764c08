// BlockPool: an intrusive doubly linked free list over a fixed block array, plus the hash -> block map.
// Must not contain sequence or scheduling logic.
#include "engine/core/block_pool.h"

#include "base/check.h"

namespace fovea::engine {

BlockPool::BlockPool(int32_t num_blocks) : blocks_(static_cast<size_t>(num_blocks)) {
  FOVEA_CHECK(num_blocks > 0, "a block pool needs at least one block, got {}", num_blocks);
  for (int32_t block_id = 0; block_id < num_blocks; ++block_id) push_free_tail(block_id);
}

double BlockPool::usage() const {
  return static_cast<double>(num_blocks() - num_free_) / static_cast<double>(num_blocks());
}

void BlockPool::check_block_id(int32_t block_id) const {
  FOVEA_CHECK(block_id >= 0 && block_id < num_blocks(), "block id {} outside the pool of {}", block_id, num_blocks());
}

void BlockPool::unlink_free(int32_t block_id) {
  Block& block = blocks_[static_cast<size_t>(block_id)];
  if (block.prev_free_idx >= 0) {
    blocks_[static_cast<size_t>(block.prev_free_idx)].next_free_idx = block.next_free_idx;
  } else {
    free_head_idx_ = block.next_free_idx;
  }
  if (block.next_free_idx >= 0) {
    blocks_[static_cast<size_t>(block.next_free_idx)].prev_free_idx = block.prev_free_idx;
  } else {
    free_tail_idx_ = block.prev_free_idx;
  }
  block.prev_free_idx = -1;
  block.next_free_idx = -1;
  --num_free_;
}

void BlockPool::push_free_tail(int32_t block_id) {
  Block& block = blocks_[static_cast<size_t>(block_id)];
  block.prev_free_idx = free_tail_idx_;
  block.next_free_idx = -1;
  if (free_tail_idx_ >= 0) {
    blocks_[static_cast<size_t>(free_tail_idx_)].next_free_idx = block_id;
  } else {
    free_head_idx_ = block_id;
  }
  free_tail_idx_ = block_id;
  ++num_free_;
}

void BlockPool::allocate(int32_t num_blocks, std::vector<int32_t>& out) {
  FOVEA_CHECK(num_blocks >= 0 && num_blocks <= num_free_, "asked for {} blocks with {} free", num_blocks, num_free_);
  for (int32_t i = 0; i < num_blocks; ++i) {
    const int32_t block_id = free_head_idx_;
    unlink_free(block_id);
    Block& block = blocks_[static_cast<size_t>(block_id)];
    if (block.has_hash) {
      cached_.erase(block.hash);
      block.has_hash = false;
      ++num_evictions_;
    }
    block.ref_count = 1;
    out.push_back(block_id);
  }
}

void BlockPool::touch(std::span<const int32_t> block_ids) {
  for (int32_t block_id : block_ids) {
    check_block_id(block_id);
    Block& block = blocks_[static_cast<size_t>(block_id)];
    if (block.ref_count == 0) unlink_free(block_id);
    ++block.ref_count;
  }
}

void BlockPool::release(std::span<const int32_t> block_ids_in_eviction_order) {
  for (int32_t block_id : block_ids_in_eviction_order) {
    check_block_id(block_id);
    Block& block = blocks_[static_cast<size_t>(block_id)];
    FOVEA_CHECK(block.ref_count > 0, "block {} released more often than it was held", block_id);
    if (--block.ref_count == 0) push_free_tail(block_id);
  }
}

bool BlockPool::cache_block(int32_t block_id, const BlockHash& hash) {
  check_block_id(block_id);
  Block& block = blocks_[static_cast<size_t>(block_id)];
  FOVEA_CHECK(block.ref_count > 0, "block {} cached while nobody holds it", block_id);
  if (block.has_hash) {
    FOVEA_CHECK(block.hash == hash, "block {} cached under two different hashes", block_id);
    return true;
  }
  if (!cached_.emplace(hash, block_id).second) return false;
  block.has_hash = true;
  block.hash = hash;
  return true;
}

std::optional<int32_t> BlockPool::find_cached(const BlockHash& hash) const {
  const auto it = cached_.find(hash);
  if (it == cached_.end()) return std::nullopt;
  return it->second;
}

bool BlockPool::reset_prefix_cache() {
  if (num_free_ != num_blocks()) return false;
  for (Block& block : blocks_) block.has_hash = false;
  cached_.clear();
  return true;
}

int32_t BlockPool::ref_count(int32_t block_id) const {
  check_block_id(block_id);
  return blocks_[static_cast<size_t>(block_id)].ref_count;
}

std::optional<BlockHash> BlockPool::block_hash(int32_t block_id) const {
  check_block_id(block_id);
  const Block& block = blocks_[static_cast<size_t>(block_id)];
  if (!block.has_hash) return std::nullopt;
  return block.hash;
}

std::vector<int32_t> BlockPool::free_block_ids() const {
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(num_free_));
  for (int32_t block_id = free_head_idx_; block_id >= 0;
       block_id = blocks_[static_cast<size_t>(block_id)].next_free_idx) {
    out.push_back(block_id);
  }
  return out;
}

}  // namespace fovea::engine
