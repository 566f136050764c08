// RankThreads: rank 0 on the caller's thread, the others on persistent threads of their own, all at once; the first
// failing rank's error and the failure hook that releases the others.
// Must not contain model code.
#include "engine/runtime/rank_threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tp_test_util.h"

namespace fovea::engine {
namespace {

// Waits until `count` reaches `target` or two seconds pass: true when it got there.
bool wait_for(const std::atomic<int>& count, int target) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (count.load() < target) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(RankThreadsTest, OneRankRunsOnTheCallersThread) {
  RankThreads threads(1);
  std::thread::id seen;
  ASSERT_TRUE(threads
                  .run([&](int rank_idx) {
                    EXPECT_EQ(rank_idx, 0);
                    seen = std::this_thread::get_id();
                    return base::Status();
                  })
                  .ok());
  EXPECT_EQ(seen, std::this_thread::get_id());
}

TEST(RankThreadsTest, RanksRunAtOnceOnTheirOwnPersistentThreads) {
  constexpr int kRanks = 4;
  RankThreads threads(kRanks);
  std::vector<std::thread::id> first(kRanks);
  for (int run_idx = 0; run_idx < 3; ++run_idx) {
    std::atomic<int> arrived{0};
    std::vector<std::thread::id> ids(kRanks);
    const base::Status status = threads.run([&](int rank_idx) -> base::Status {
      ids[static_cast<size_t>(rank_idx)] = std::this_thread::get_id();
      ++arrived;
      // Every rank waits for all the others: only concurrent ranks get past this (a collective's rendezvous).
      if (!wait_for(arrived, kRanks)) return base::internal_error("rank {} waited alone", rank_idx);
      return base::Status();
    });
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(ids[0], std::this_thread::get_id());
    EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), size_t{kRanks});
    if (run_idx == 0) first = ids;
    EXPECT_EQ(ids, first) << "each rank keeps its thread";
  }
}

TEST(RankThreadsTest, FirstFailureIsReturnedAndReleasesTheOthers) {
  RankThreads threads(3);
  std::atomic<bool> aborted{false};
  std::atomic<int> num_failure_calls{0};
  threads.set_on_failure([&] {
    ++num_failure_calls;
    aborted = true;
  });
  const base::Status status = threads.run([&](int rank_idx) -> base::Status {
    if (rank_idx == 1) return base::invalid_argument("rank one broke");
    // The others sit in a "collective" until the abort releases them, then fail with the abort's error.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!aborted.load()) {
      if (std::chrono::steady_clock::now() > deadline) return base::internal_error("never released");
      std::this_thread::yield();
    }
    return base::make_error(base::StatusCode::kFailedPrecondition, "aborted");
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("rank 1"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("rank one broke"), std::string::npos) << status.message();
  EXPECT_EQ(num_failure_calls.load(), 1);
  // The threads are still there for the next run.
  ASSERT_EQ(threads.num_ranks(), 3);
  testing::expect_every_rank_runs(threads);
}

}  // namespace
}  // namespace fovea::engine
