// ThreadPool::parallel_for covers every index exactly once, repeatedly.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

namespace fovea::base {
namespace {

TEST(ThreadPoolTest, EveryIndexOnceAcrossManyJobs) {
  ThreadPool pool(4);
  for (int64_t n : {1, 2, 3, 7, 100, 1000, 12345}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPoolTest, EmptyRangeRunsNothing) {
  ThreadPool pool(2);
  bool called = false;
  pool.parallel_for(0, [&](int64_t, int64_t) { called = true; });
  EXPECT_FALSE(called);
}

// Many tiny back-to-back jobs (the decode pattern) with workers that spin, sleep and wake between them: a lost
// wake-up would hang, a chunk claimed for a stale job would double-count.
TEST(ThreadPoolTest, ManySmallJobsWithSleepsBetween) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  int64_t expected = 0;
  for (int job_idx = 0; job_idx < 20000; ++job_idx) {
    const int64_t n = 1 + job_idx % 9;
    pool.parallel_for(n, [&](int64_t begin, int64_t end) { total += end - begin; });
    expected += n;
    if (job_idx % 2000 == 0) std::this_thread::sleep_for(std::chrono::microseconds(3 * ThreadPool::kSpinMicros));
  }
  EXPECT_EQ(total.load(), expected);
}

// The calling thread runs chunks too, so a job finishes even when it is the only thread that ever works on it.
TEST(ThreadPoolTest, CallerTakesPart) {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> caller_chunks{0};
  for (int i = 0; i < 200; ++i) {
    pool.parallel_for(64, [&](int64_t, int64_t) {
      if (std::this_thread::get_id() == caller) ++caller_chunks;
    });
  }
  EXPECT_GT(caller_chunks.load(), 0);
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Workers spin only briefly after a job: an idle pool (an idle server) must not burn CPU.
TEST(ThreadPoolTest, IdlePoolUsesNoCpu) {
  ThreadPool pool(3);
  pool.parallel_for(100, [](int64_t, int64_t) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(process_cpu_seconds() - cpu_before, 0.01);
}

}  // namespace
}  // namespace fovea::base
