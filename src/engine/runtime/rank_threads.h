// RankThreads: runs one function on every tensor-parallel rank at once and waits for all of them: rank 0 on the
// calling thread, ranks 1..N-1 each on its own persistent thread (a rank's CUDA graphs and NCCL calls always come
// from the thread that owns it; docs/ENGINE.md says why one thread per GPU). With one rank, run() is a plain call.
// Must not contain model, scheduling or CUDA code.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace fovea::engine {

class RankThreads {
 public:
  using RankFn = std::function<base::Status(int rank_idx)>;

  // Starts num_ranks - 1 threads (num_ranks >= 1).
  explicit RankThreads(int num_ranks);
  ~RankThreads();
  RankThreads(const RankThreads&) = delete;
  RankThreads& operator=(const RankThreads&) = delete;

  int num_ranks() const { return num_ranks_; }

  // Called on the thread of the first rank whose function fails in a run(), before run() waits for the others: the
  // owner aborts the communicators there, so ranks blocked in a collective with the failed one return.
  void set_on_failure(std::function<void()> on_failure) { on_failure_ = std::move(on_failure); }

  // Runs fn(rank_idx) for every rank concurrently and returns once all have returned: ok, or the error of the rank
  // that failed first (in time: the others' errors are usually the abort it caused), naming that rank. Not
  // reentrant: one run() at a time, from one thread.
  base::Status run(const RankFn& fn);

 private:
  void worker(int rank_idx);
  // Records rank_idx's result; the first failure calls on_failure_.
  void finish(int rank_idx, base::Status status);

  const int num_ranks_;
  std::function<void()> on_failure_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const RankFn* fn_ = nullptr;         // guarded by mutex_: the function of the run in progress
  uint64_t generation_ = 0;            // guarded by mutex_: bumped by each run()
  int num_done_ = 0;                   // guarded by mutex_: helper ranks finished in this run
  int first_failed_rank_ = -1;         // guarded by mutex_
  bool stop_ = false;                  // guarded by mutex_
  std::vector<base::Status> results_;  // [num_ranks], guarded by mutex_
  std::vector<std::thread> threads_;   // ranks 1..N-1
};

}  // namespace fovea::engine
