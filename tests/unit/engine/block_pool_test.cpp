// BlockPool: ref counts, the free list's eviction order, cached-block lookup, eviction on allocation, reset.
#include "engine/core/block_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/sha256.h"

namespace fovea::engine {
namespace {

BlockHash hash_of(uint8_t seed) { return base::Sha256::digest(std::vector<uint8_t>{seed}); }

TEST(BlockPoolTest, FreshPoolIsAllFreeInIdOrder) {
  BlockPool pool(5);
  EXPECT_EQ(pool.num_free_blocks(), 5);
  EXPECT_EQ(pool.free_block_ids(), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(pool.usage(), 0.0);
}

TEST(BlockPoolTest, AllocateTakesFromTheHeadWithRefCountOne) {
  BlockPool pool(5);
  std::vector<int32_t> ids;
  pool.allocate(2, ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(pool.ref_count(0), 1);
  EXPECT_EQ(pool.ref_count(1), 1);
  EXPECT_EQ(pool.num_free_blocks(), 3);
  EXPECT_DOUBLE_EQ(pool.usage(), 0.4);
}

TEST(BlockPoolTest, ReleasedBlocksAreEvictedLeastRecentlyFreedFirst) {
  BlockPool pool(6);
  std::vector<int32_t> ids;
  pool.allocate(6, ids);
  // Freed in this order: 3 then 1 (one sequence, tail first), later 5, 0.
  pool.release(std::vector<int32_t>{3, 1});
  pool.release(std::vector<int32_t>{5, 0});
  EXPECT_EQ(pool.free_block_ids(), (std::vector<int32_t>{3, 1, 5, 0}));
  std::vector<int32_t> again;
  pool.allocate(3, again);
  EXPECT_EQ(again, (std::vector<int32_t>{3, 1, 5}));
}

TEST(BlockPoolTest, SharedBlockIsFreeOnlyWhenTheLastHolderReleases) {
  BlockPool pool(3);
  std::vector<int32_t> ids;
  pool.allocate(1, ids);
  pool.touch(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 2);
  pool.release(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 1);
  EXPECT_EQ(pool.num_free_blocks(), 2);
  pool.release(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 0);
  EXPECT_EQ(pool.num_free_blocks(), 3);
}

TEST(BlockPoolTest, CachedFreeBlockIsFoundTouchedAndLeavesTheFreeList) {
  BlockPool pool(3);
  std::vector<int32_t> ids;
  pool.allocate(1, ids);
  EXPECT_TRUE(pool.cache_block(ids[0], hash_of(1)));
  pool.release(ids);
  ASSERT_EQ(pool.find_cached(hash_of(1)), ids[0]);
  EXPECT_EQ(pool.num_free_blocks(), 3);
  pool.touch(ids);
  EXPECT_EQ(pool.num_free_blocks(), 2);
  EXPECT_EQ(pool.free_block_ids(), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(pool.block_hash(ids[0]), hash_of(1));
}

TEST(BlockPoolTest, AllocatingACachedFreeBlockEvictsItsHash) {
  BlockPool pool(2);
  std::vector<int32_t> ids;
  pool.allocate(2, ids);
  ASSERT_TRUE(pool.cache_block(0, hash_of(1)));
  ASSERT_TRUE(pool.cache_block(1, hash_of(2)));
  pool.release(std::vector<int32_t>{1, 0});
  std::vector<int32_t> again;
  pool.allocate(1, again);
  EXPECT_EQ(again, (std::vector<int32_t>{1}));
  EXPECT_FALSE(pool.find_cached(hash_of(2)).has_value());
  EXPECT_FALSE(pool.block_hash(1).has_value());
  EXPECT_EQ(pool.find_cached(hash_of(1)), 0);
  EXPECT_EQ(pool.num_evictions(), 1);
  EXPECT_EQ(pool.num_cached_blocks(), 1);
}

TEST(BlockPoolTest, SecondBlockWithAKnownHashStaysUnnamed) {
  BlockPool pool(2);
  std::vector<int32_t> ids;
  pool.allocate(2, ids);
  EXPECT_TRUE(pool.cache_block(0, hash_of(7)));
  EXPECT_FALSE(pool.cache_block(1, hash_of(7)));
  EXPECT_EQ(pool.find_cached(hash_of(7)), 0);
  EXPECT_FALSE(pool.block_hash(1).has_value());
  EXPECT_TRUE(pool.cache_block(0, hash_of(7)));  // re-offering the same block is a no-op
}

TEST(BlockPoolTest, ResetPrefixCacheIsRefusedWhileBlocksAreHeld) {
  BlockPool pool(2);
  std::vector<int32_t> ids;
  pool.allocate(1, ids);
  ASSERT_TRUE(pool.cache_block(ids[0], hash_of(3)));
  EXPECT_FALSE(pool.reset_prefix_cache());
  EXPECT_TRUE(pool.find_cached(hash_of(3)).has_value());
  pool.release(ids);
  EXPECT_TRUE(pool.reset_prefix_cache());
  EXPECT_FALSE(pool.find_cached(hash_of(3)).has_value());
  EXPECT_EQ(pool.num_cached_blocks(), 0);
  EXPECT_EQ(pool.num_free_blocks(), 2);
}

}  // namespace
}  // namespace fovea::engine
