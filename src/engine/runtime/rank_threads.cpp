// RankThreads: a generation counter under one mutex hands each run to the helper threads; rank 0 runs inline.
// Must not contain model code.
#include "engine/runtime/rank_threads.h"

#include <fmt/format.h>

#include "base/check.h"

namespace fovea::engine {

RankThreads::RankThreads(int num_ranks) : num_ranks_(num_ranks), results_(static_cast<size_t>(num_ranks)) {
  FOVEA_CHECK(num_ranks >= 1, "RankThreads needs at least one rank, got {}", num_ranks);
  for (int rank_idx = 1; rank_idx < num_ranks; ++rank_idx)
    threads_.emplace_back([this, rank_idx] { worker(rank_idx); });
}

RankThreads::~RankThreads() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void RankThreads::finish(int rank_idx, base::Status status) {
  bool call_on_failure = false;
  {
    std::lock_guard lock(mutex_);
    if (!status.ok() && first_failed_rank_ < 0) {
      first_failed_rank_ = rank_idx;
      call_on_failure = true;
    }
    results_[static_cast<size_t>(rank_idx)] = std::move(status);
  }
  if (call_on_failure && on_failure_) on_failure_();
}

void RankThreads::worker(int rank_idx) {
  uint64_t seen_generation = 0;
  while (true) {
    const RankFn* fn = nullptr;
    {
      std::unique_lock lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen_generation; });
      if (stop_) return;
      seen_generation = generation_;
      fn = fn_;
    }
    finish(rank_idx, (*fn)(rank_idx));
    {
      std::lock_guard lock(mutex_);
      ++num_done_;
    }
    done_.notify_all();
  }
}

base::Status RankThreads::run(const RankFn& fn) {
  if (num_ranks_ == 1) return fn(0);
  {
    std::lock_guard lock(mutex_);
    fn_ = &fn;
    num_done_ = 0;
    first_failed_rank_ = -1;
    for (base::Status& result : results_) result = base::Status();
    ++generation_;
  }
  start_.notify_all();
  finish(0, fn(0));
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return num_done_ == num_ranks_ - 1; });
  fn_ = nullptr;
  if (first_failed_rank_ < 0) return base::Status();
  const base::Status& failed = results_[static_cast<size_t>(first_failed_rank_)];
  return base::make_error(failed.code(), "tensor-parallel rank {}: {}", first_failed_rank_, failed.message());
}

}  // namespace fovea::engine
