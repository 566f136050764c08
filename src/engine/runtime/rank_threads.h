// RankThreads: runs one function on every tensor-parallel rank at once and waits for all of them: rank 0 on the
// calling thread, ranks 1..N-1 each on its own persistent thread (a rank's CUDA graphs and NCCL calls always come
// from the thread that owns it; docs/ENGINE.md says why one thread per GPU). With one rank, run() is a plain call.
// An optional step watchdog (one more thread) fails a run whose ranks take longer than a limit. Must not contain
// model, scheduling or CUDA code.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace fovea::engine {

// The step watchdog: a run whose ranks have not all returned `limit` after it started is timed out: one error is
// logged naming the run and the ranks still busy, the failure hook runs (the owner aborts the communicators there,
// which releases ranks blocked in a collective) and run() returns the timeout error once the ranks are back. A
// rank still busy `grace` after that (a device that ignores the abort) is logged and `on_stuck` is called with the
// message, from the watchdog's thread, while run() keeps waiting for it.
struct StepWatchdog {
  std::chrono::milliseconds limit{0};  // <= 0: off
  std::chrono::milliseconds grace{5000};
  std::function<void(const std::string& message)> on_stuck;
};

class RankThreads {
 public:
  using RankFn = std::function<base::Status(int rank_idx)>;

  // Starts num_ranks - 1 threads (num_ranks >= 1).
  explicit RankThreads(int num_ranks);
  ~RankThreads();
  RankThreads(const RankThreads&) = delete;
  RankThreads& operator=(const RankThreads&) = delete;

  int num_ranks() const { return num_ranks_; }

  // Called on the thread of the first rank whose function fails in a run(), before run() waits for the others
  // (or on the watchdog's thread when a run times out): the owner aborts the communicators there, so ranks blocked
  // in a collective with the failed one return.
  void set_on_failure(std::function<void()> on_failure) { on_failure_ = std::move(on_failure); }

  // Turns the watchdog on for every later run (more than one rank only: one rank has no communicator to abort and
  // runs inline). Call between runs, at most once.
  void set_step_watchdog(StepWatchdog watchdog);

  // Runs fn(rank_idx) for every rank concurrently and returns once all have returned: ok, or the error of the rank
  // that failed first (in time: the others' errors are usually the abort it caused), naming that rank; a timed-out
  // run returns the watchdog's error instead. `describe` names the run in the watchdog's messages ("engine step
  // 12"); the watchdog's thread calls it only when the run times out, while run() still waits (an empty one: "run").
  // Not reentrant: one run() at a time, from one thread.
  using Describe = std::function<std::string()>;
  base::Status run(const RankFn& fn, const Describe& describe = {});

 private:
  void worker(int rank_idx);
  void watchdog_loop();
  // Records rank_idx's result; the first failure calls on_failure_.
  void finish(int rank_idx, base::Status status);
  // "1" or "0, 1": the ranks of the run in progress that have not returned. mutex_ held.
  std::string busy_ranks() const;
  bool all_returned() const;     // mutex_ held
  std::string run_name() const;  // the run in progress's description, or "run"; mutex_ held

  const int num_ranks_;
  std::function<void()> on_failure_;
  StepWatchdog watchdog_;
  std::mutex mutex_;
  std::condition_variable start_;                    // a run started, or stop_
  std::condition_variable done_;                     // a rank returned, or stop_
  std::condition_variable watch_;                    // only stop_: the watchdog's deadline sleep
  const RankFn* fn_ = nullptr;                       // guarded by mutex_: the function of the run in progress
  uint64_t generation_ = 0;                          // guarded by mutex_: bumped by each run()
  int num_done_ = 0;                                 // guarded by mutex_: helper ranks finished in this run
  int first_failed_rank_ = -1;                       // guarded by mutex_
  bool stop_ = false;                                // guarded by mutex_
  bool running_ = false;                             // guarded by mutex_: a run() is in progress
  const Describe* describe_ = nullptr;               // guarded by mutex_: the run in progress's, outlives it
  std::chrono::steady_clock::time_point run_start_;  // guarded by mutex_
  std::string timeout_error_;          // guarded by mutex_: set when the watchdog timed out the run in progress
  std::vector<base::Status> results_;  // [num_ranks], guarded by mutex_
  std::vector<char> returned_;         // [num_ranks], guarded by mutex_: rank returned in the run in progress
  std::vector<std::thread> threads_;   // ranks 1..N-1
  std::thread watchdog_thread_;        // only with a watchdog
};

}  // namespace fovea::engine
