// KvCacheManager: prefix hits of full blocks only (never the last token), the hash chain with images and salt,
// shared ref counts, eviction order of freed sequences, allocation failure, lookahead, statistics.
#include "engine/core/kv_cache_manager.h"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <vector>

#include "base/sha256.h"

namespace fovea::engine {
namespace {

constexpr int64_t kBlockSize = 4;

std::vector<int32_t> iota_tokens(int32_t count, int32_t first = 100) {
  std::vector<int32_t> out(static_cast<size_t>(count));
  std::iota(out.begin(), out.end(), first);
  return out;
}

ContentHash image_hash(uint8_t seed) { return base::Sha256::digest(std::vector<uint8_t>{0xAA, seed}); }

class KvCacheManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Sequence> make_seq(std::vector<int32_t> tokens, std::vector<MultimodalInput> images = {},
                                     std::string salt = "") {
    auto request = std::make_shared<Request>();
    request->request_id = "r" + std::to_string(next_id_);
    request->prompt_token_ids = std::move(tokens);
    request->multimodal_inputs = std::move(images);
    request->cache_salt = std::move(salt);
    const SeqId seq_id = next_id_++;
    return std::make_unique<Sequence>(seq_id, request, 0, seq_id, kBlockSize);
  }

  // Admits seq with its prefix hit and computes all its tokens in one step.
  PrefixCacheHit admit_all(Sequence& seq) {
    const PrefixCacheHit hit = manager_.find_prefix_hit(seq);
    EXPECT_TRUE(manager_.allocate_slots(seq, seq.num_tokens() - hit.num_tokens, &hit, 0));
    seq.set_status(SequenceStatus::kRunning);
    seq.set_num_computed_tokens(seq.num_tokens());
    return hit;
  }

  KvCacheManager manager_{16, kBlockSize, 64, true};
  SeqId next_id_ = 1;
};

TEST_F(KvCacheManagerTest, HitsFullBlocksOnlyAndNeverTheLastToken) {
  auto first = make_seq(iota_tokens(10));
  EXPECT_EQ(admit_all(*first).num_tokens, 0);
  ASSERT_EQ(first->block_ids().size(), 3u);
  // Blocks 0 and 1 are full and cached; block 2 holds 2 tokens and is not.
  EXPECT_EQ(manager_.block_pool().num_cached_blocks(), 2);

  auto same = make_seq(iota_tokens(10));
  const PrefixCacheHit hit = manager_.find_prefix_hit(*same);
  EXPECT_EQ(hit.num_tokens, 8);
  EXPECT_EQ(hit.block_ids, (std::vector<int32_t>{first->block_ids()[0], first->block_ids()[1]}));

  // A prompt of exactly two full blocks: its last token must be computed, so only one block hits.
  auto exact = make_seq(iota_tokens(8));
  EXPECT_EQ(manager_.find_prefix_hit(*exact).num_tokens, 4);
  auto nine = make_seq(iota_tokens(9));
  EXPECT_EQ(manager_.find_prefix_hit(*nine).num_tokens, 8);

  // A different token in block 1 breaks the chain from there on.
  std::vector<int32_t> diverging = iota_tokens(10);
  diverging[5] = 7;
  auto other = make_seq(diverging);
  EXPECT_EQ(manager_.find_prefix_hit(*other).num_tokens, 4);
}

TEST_F(KvCacheManagerTest, SameTokensWithADifferentImageDoNotHit) {
  const std::vector<int32_t> tokens = {1, 9, 9, 9, 9, 9, 9, 2, 3, 4};  // 9 = image placeholder
  auto with_a = make_seq(tokens, {{image_hash(1), 1, 6, 24}});
  admit_all(*with_a);
  auto with_b = make_seq(tokens, {{image_hash(2), 1, 6, 24}});
  EXPECT_EQ(manager_.find_prefix_hit(*with_b).num_tokens, 0);
  auto with_a_again = make_seq(tokens, {{image_hash(1), 1, 6, 24}});
  EXPECT_EQ(manager_.find_prefix_hit(*with_a_again).num_tokens, 8);
  // The same image placed one token later fills different positions: no hit either.
  auto shifted = make_seq({1, 9, 9, 9, 9, 9, 9, 9, 3, 4}, {{image_hash(1), 2, 6, 24}});
  EXPECT_EQ(manager_.find_prefix_hit(*shifted).num_tokens, 0);
  auto no_image = make_seq(tokens);
  EXPECT_EQ(manager_.find_prefix_hit(*no_image).num_tokens, 0);
}

TEST_F(KvCacheManagerTest, CacheSaltSeparatesTenants) {
  auto salted = make_seq(iota_tokens(9), {}, "tenant-a");
  admit_all(*salted);
  auto other_tenant = make_seq(iota_tokens(9), {}, "tenant-b");
  EXPECT_EQ(manager_.find_prefix_hit(*other_tenant).num_tokens, 0);
  auto unsalted = make_seq(iota_tokens(9));
  EXPECT_EQ(manager_.find_prefix_hit(*unsalted).num_tokens, 0);
  auto same_tenant = make_seq(iota_tokens(9), {}, "tenant-a");
  EXPECT_EQ(manager_.find_prefix_hit(*same_tenant).num_tokens, 8);
}

TEST_F(KvCacheManagerTest, SharedPrefixBlocksAreRefCountedAcrossSequences) {
  auto first = make_seq(iota_tokens(10));
  admit_all(*first);
  auto second = make_seq(iota_tokens(10));
  EXPECT_EQ(admit_all(*second).num_tokens, 8);
  const BlockPool& pool = manager_.block_pool();
  EXPECT_EQ(second->block_ids()[0], first->block_ids()[0]);
  EXPECT_EQ(second->block_ids()[1], first->block_ids()[1]);
  EXPECT_NE(second->block_ids()[2], first->block_ids()[2]);
  EXPECT_EQ(pool.ref_count(first->block_ids()[0]), 2);
  EXPECT_EQ(pool.ref_count(first->block_ids()[2]), 1);
  EXPECT_EQ(pool.num_free_blocks(), 16 - 4);

  const std::vector<int32_t> shared = {first->block_ids()[0], first->block_ids()[1]};
  manager_.free(*first);
  EXPECT_TRUE(first->block_ids().empty());
  EXPECT_EQ(pool.ref_count(shared[0]), 1);
  manager_.free(*second);
  EXPECT_EQ(pool.ref_count(shared[0]), 0);
  EXPECT_EQ(pool.num_free_blocks(), 16);
  // Free but still cached: a third sequence hits them and takes them out of the free list.
  auto third = make_seq(iota_tokens(10));
  EXPECT_EQ(admit_all(*third).num_tokens, 8);
  EXPECT_EQ(pool.ref_count(shared[0]), 1);
  EXPECT_EQ(pool.num_free_blocks(), 16 - 3);
}

TEST_F(KvCacheManagerTest, FreedSequenceLosesItsTailBlocksFirst) {
  KvCacheManager manager(4, kBlockSize, 64, true);
  auto request = std::make_shared<Request>();
  request->request_id = "a";
  request->prompt_token_ids = iota_tokens(13);
  Sequence seq(1, request, 0, 0, kBlockSize);
  PrefixCacheHit none;
  ASSERT_TRUE(manager.allocate_slots(seq, 13, &none, 0));  // 4 blocks, 3 of them full and cached
  seq.set_num_computed_tokens(13);
  const std::vector<int32_t> table = seq.block_ids();
  manager.free(seq);
  EXPECT_EQ(manager.block_pool().free_block_ids(), (std::vector<int32_t>{table[3], table[2], table[1], table[0]}));

  // A 5-token sequence of other tokens needs 2 blocks: it evicts the partial tail block and block 2, so the
  // first two blocks of the old prompt still hit.
  auto other_request = std::make_shared<Request>();
  other_request->request_id = "b";
  other_request->prompt_token_ids = iota_tokens(5, 900);
  Sequence other(2, other_request, 0, 1, kBlockSize);
  ASSERT_TRUE(manager.allocate_slots(other, 5, &none, 0));
  EXPECT_EQ(other.block_ids(), (std::vector<int32_t>{table[3], table[2]}));
  Sequence again(3, request, 0, 2, kBlockSize);
  EXPECT_EQ(manager.find_prefix_hit(again).num_tokens, 8);
}

TEST_F(KvCacheManagerTest, AllocationFailureChangesNothing) {
  KvCacheManager manager(3, kBlockSize, 64, true);
  auto request = std::make_shared<Request>();
  request->request_id = "a";
  request->prompt_token_ids = iota_tokens(13);
  Sequence seq(1, request, 0, 0, kBlockSize);
  PrefixCacheHit none;
  EXPECT_FALSE(manager.allocate_slots(seq, 13, &none, 0));
  EXPECT_TRUE(seq.block_ids().empty());
  EXPECT_EQ(manager.block_pool().num_free_blocks(), 3);
  EXPECT_EQ(manager.prefix_cache_stats().num_admissions, 0);
  EXPECT_TRUE(manager.allocate_slots(seq, 12, &none, 0));
  EXPECT_EQ(seq.block_ids().size(), 3u);
}

TEST_F(KvCacheManagerTest, CachedHitBlocksCountAgainstFreeBlocksWhenNobodyHoldsThem) {
  KvCacheManager manager(3, kBlockSize, 64, true);
  auto request = std::make_shared<Request>();
  request->request_id = "a";
  request->prompt_token_ids = iota_tokens(9);
  Sequence first(1, request, 0, 0, kBlockSize);
  PrefixCacheHit none;
  ASSERT_TRUE(manager.allocate_slots(first, 9, &none, 0));
  first.set_num_computed_tokens(9);
  manager.free(first);
  // All 3 blocks are free; 2 of them are the hit. Admitting needs the 2 hit blocks + 1 new: exactly 3.
  Sequence second(2, request, 0, 1, kBlockSize);
  const PrefixCacheHit hit = manager.find_prefix_hit(second);
  ASSERT_EQ(hit.num_tokens, 8);
  EXPECT_FALSE(manager.allocate_slots(second, 1, &hit, 4));  // with 4 lookahead slots it needs 4 blocks
  EXPECT_TRUE(manager.allocate_slots(second, 1, &hit, 0));
  EXPECT_EQ(manager.block_pool().num_free_blocks(), 0);
  EXPECT_EQ(second.block_ids()[0], hit.block_ids[0]);
}

TEST_F(KvCacheManagerTest, LookaheadReservesExtraSlotsUpToMaxModelLen) {
  KvCacheManager manager(16, kBlockSize, 10, true);
  auto request = std::make_shared<Request>();
  request->request_id = "a";
  request->prompt_token_ids = iota_tokens(5);
  Sequence seq(1, request, 0, 0, kBlockSize);
  PrefixCacheHit none;
  ASSERT_TRUE(manager.allocate_slots(seq, 5, &none, 2));
  EXPECT_EQ(seq.block_ids().size(), 2u);  // 7 slots
  seq.set_num_computed_tokens(5);
  seq.append_token(1);
  ASSERT_TRUE(manager.allocate_slots(seq, 1, nullptr, 8));
  EXPECT_EQ(seq.block_ids().size(), 3u);  // capped at max_model_len 10
}

TEST_F(KvCacheManagerTest, CountsQueriesAndHitsPerAdmission) {
  auto first = make_seq(iota_tokens(10));
  admit_all(*first);
  auto second = make_seq(iota_tokens(10));
  admit_all(*second);
  const PrefixCacheStats& stats = manager_.prefix_cache_stats();
  EXPECT_EQ(stats.num_admissions, 2);
  EXPECT_EQ(stats.num_query_tokens, 20);
  EXPECT_EQ(stats.num_hit_tokens, 8);
  // A preempted sequence re-admitted is counted apart.
  manager_.free(*second);
  second->preempt();
  admit_all(*second);
  EXPECT_EQ(stats.num_admissions, 2);
  EXPECT_EQ(stats.num_resumed_admissions, 1);
  EXPECT_EQ(stats.num_resumed_hit_tokens, 8);
  EXPECT_DOUBLE_EQ(manager_.usage(), 4.0 / 16.0);
}

TEST_F(KvCacheManagerTest, DisabledPrefixCachingNeverHits) {
  KvCacheManager manager(16, kBlockSize, 64, false);
  auto request = std::make_shared<Request>();
  request->request_id = "a";
  request->prompt_token_ids = iota_tokens(10);
  Sequence first(1, request, 0, 0, kBlockSize);
  PrefixCacheHit none;
  ASSERT_TRUE(manager.allocate_slots(first, 10, &none, 0));
  EXPECT_EQ(manager.block_pool().num_cached_blocks(), 0);
  Sequence second(2, request, 0, 1, kBlockSize);
  EXPECT_EQ(manager.find_prefix_hit(second).num_tokens, 0);
}

}  // namespace
}  // namespace fovea::engine
