// EncoderCache: holders, LRU eviction of unheld entries only, refusal without side effects, evicted hashes.
#include "engine/core/encoder_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/sha256.h"

namespace fovea::engine {
namespace {

ContentHash image(uint8_t seed) { return base::Sha256::digest(std::vector<uint8_t>{0xEE, seed}); }

std::vector<std::string> hex_all(const std::vector<ContentHash>& hashes) {
  std::vector<std::string> out;
  for (const ContentHash& hash : hashes) out.push_back(to_hex(hash));
  return out;
}

TEST(EncoderCacheTest, InsertAcquireRelease) {
  EncoderCache cache(100);
  EXPECT_FALSE(cache.acquire_if_cached(image(1), 7));
  ASSERT_TRUE(cache.make_room(40));
  cache.insert(image(1), 40, 7);
  EXPECT_EQ(cache.num_free_tokens(), 60);
  EXPECT_TRUE(cache.acquire_if_cached(image(1), 8));
  EXPECT_TRUE(cache.acquire_if_cached(image(1), 8));  // idempotent
  EXPECT_EQ(cache.holders(image(1)), (std::vector<SeqId>{7, 8}));
  cache.release(image(1), 7);
  cache.release(image(1), 99);  // not a holder: no-op
  EXPECT_EQ(cache.num_unheld_tokens(), 0);
  cache.release(image(1), 8);
  EXPECT_EQ(cache.num_unheld_tokens(), 40);
  EXPECT_TRUE(cache.contains(image(1)));  // unheld entries stay cached
  EXPECT_TRUE(cache.acquire_if_cached(image(1), 9));
  EXPECT_EQ(cache.num_unheld_tokens(), 0);
}

TEST(EncoderCacheTest, EvictsUnheldEntriesOldestFirstAndOnlyWhenNeeded) {
  EncoderCache cache(100);
  for (uint8_t seed = 1; seed <= 4; ++seed) {
    ASSERT_TRUE(cache.make_room(25));
    cache.insert(image(seed), 25, seed);
  }
  cache.release(image(3), 3);
  cache.release(image(1), 1);
  cache.release(image(2), 2);  // unheld, oldest first: 3, 1, 2
  EXPECT_TRUE(cache.make_room(50));
  EXPECT_EQ(hex_all(cache.take_evicted()), hex_all({image(3), image(1)}));
  EXPECT_TRUE(cache.take_evicted().empty());
  EXPECT_FALSE(cache.contains(image(3)));
  EXPECT_TRUE(cache.contains(image(2)));
  EXPECT_TRUE(cache.contains(image(4)));
  // 50 free + 25 unheld: 80 cannot fit and nothing is evicted trying.
  EXPECT_FALSE(cache.make_room(80));
  EXPECT_TRUE(cache.contains(image(2)));
  EXPECT_TRUE(cache.take_evicted().empty());
}

TEST(EncoderCacheTest, HeldEntriesAreNeverEvicted) {
  EncoderCache cache(50);
  ASSERT_TRUE(cache.make_room(50));
  cache.insert(image(1), 50, 1);
  EXPECT_FALSE(cache.make_room(1));
  cache.release(image(1), 1);
  EXPECT_TRUE(cache.acquire_if_cached(image(1), 2));  // re-held before space was needed
  EXPECT_FALSE(cache.make_room(1));
  EXPECT_TRUE(cache.contains(image(1)));
}

}  // namespace
}  // namespace fovea::engine
