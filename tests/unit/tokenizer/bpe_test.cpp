// BPE internals: the scan and heap merge strategies agree on random words, the merge table and vocabulary keep
// the reference's duplicate rules, and the word cache stays bounded.
#include <gtest/gtest.h>

#include <random>

#include "text/bpe_merge_table.h"
#include "text/bpe_merger.h"
#include "text/bpe_vocab.h"
#include "text/bpe_word_cache.h"

namespace fovea::text {
namespace {

TEST(BpeMergerTest, ScanAndHeapAgreeOnRandomWords) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    // Symbols 0..7; random merges produce new ids above them, some of which merge again.
    BpeMergeTable merges;
    int num_merges = 1 + static_cast<int>(rng() % 40);
    merges.reset(static_cast<size_t>(num_merges));
    int next_id = 8;
    for (int rank = 0; rank < num_merges; ++rank) {
      int left = static_cast<int>(rng() % static_cast<unsigned>(next_id));
      int right = static_cast<int>(rng() % static_cast<unsigned>(next_id));
      merges.insert_or_assign(left, right, {static_cast<uint32_t>(rank), next_id++});
    }
    BpeMerger merger(&merges);
    for (int word = 0; word < 20; ++word) {
      std::vector<int32_t> symbols(1 + rng() % 150);
      for (int32_t& symbol : symbols) symbol = static_cast<int32_t>(rng() % 8);
      std::vector<int32_t> by_scan = symbols;
      std::vector<int32_t> by_heap = symbols;
      merger.merge_by_scan(by_scan);
      merger.merge_by_heap(by_heap);
      ASSERT_EQ(by_scan, by_heap);
    }
  }
}

TEST(BpeMergerTest, EqualRanksMergeLeftmostFirst) {
  BpeMergeTable merges;
  merges.reset(1);
  merges.insert_or_assign(1, 1, {0, 2});
  BpeMerger merger(&merges);
  for (size_t length : {3u, 5u, 101u}) {
    std::vector<int32_t> by_scan(length, 1);
    std::vector<int32_t> by_heap(length, 1);
    merger.merge_by_scan(by_scan);
    merger.merge_by_heap(by_heap);
    // "a a a" becomes "aa a": pairs are taken from the left and never overlap.
    std::vector<int32_t> expected(length / 2, 2);
    expected.push_back(1);
    EXPECT_EQ(by_scan, expected);
    EXPECT_EQ(by_heap, expected);
  }
}

TEST(BpeMergeTableTest, LaterDuplicateWins) {
  BpeMergeTable merges;
  merges.reset(2);
  merges.insert_or_assign(3, 4, {0, 10});
  merges.insert_or_assign(3, 4, {1, 11});
  ASSERT_NE(merges.find(3, 4), nullptr);
  EXPECT_EQ(merges.find(3, 4)->rank, 1u);
  EXPECT_EQ(merges.find(3, 4)->merged_id, 11);
  EXPECT_EQ(merges.find(4, 3), nullptr);
  EXPECT_EQ(merges.size(), 1u);
}

TEST(BpeVocabTest, RepeatedTokenKeepsItsLastIdAndSharedIdsFail) {
  auto vocab = BpeVocab::create({{"a", 0}, {"b", 1}, {"a", 2}});
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  EXPECT_EQ(vocab->find("a"), 2);
  EXPECT_FALSE(vocab->has_id(0));
  EXPECT_EQ(vocab->size(), 2u);
  EXPECT_EQ(vocab->token(1), "b");
  EXPECT_FALSE(BpeVocab::create({{"a", 0}, {"b", 0}}).ok());
  EXPECT_FALSE(BpeVocab::create({{"a", -1}}).ok());
  EXPECT_FALSE(BpeVocab::create({{"a", BpeVocab::kMaxId + 1}}).ok());
  EXPECT_FALSE(BpeVocab::create({{"\xFF", 0}}).ok());
}

TEST(BpeWordCacheTest, FindsInsertedWordsAndStaysBounded) {
  BpeWordCache cache(4);
  std::vector<int32_t> ids = {1, 2, 3};
  cache.insert("abc", ids);
  auto found = cache.find("abc");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(std::vector<int32_t>(found.begin(), found.end()), ids);
  EXPECT_TRUE(cache.find("abd").empty());
  EXPECT_TRUE(cache.find(std::string(300, 'x')).empty());
  for (int i = 0; i < 20; ++i) {
    cache.insert("w" + std::to_string(i), ids);
    EXPECT_LE(cache.size(), 4u);
  }
  EXPECT_FALSE(cache.find("w19").empty());
}

}  // namespace
}  // namespace fovea::text
