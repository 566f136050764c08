// ThreadPool: a fixed set of worker threads with a blocking parallel_for (the CPU backend's parallelism).
// Workers spin briefly (kSpinMicros) after each job so that back-to-back jobs (a decode step issues hundreds) start
// without a futex wake-up, then sleep, so an idle pool uses no CPU. Must not contain any op or model code.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fovea::base {

class ThreadPool {
 public:
  // How long an idle worker (or the caller waiting for the last chunk) polls before it sleeps.
  static constexpr int64_t kSpinMicros = 50;

  // num_threads == 0 means one per hardware thread.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n); the calling thread takes part and runs every chunk
  // no worker has claimed, so it never waits for a worker that is still waking up. Blocks until all chunks are
  // done. Not reentrant: fn must not call parallel_for on the same pool. One caller at a time.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  // Claims and runs chunks of the job published as `generation` until none is left or a newer job replaced it.
  void run_chunks(uint32_t generation);
  void worker_loop();
  // Polls for up to kSpinMicros until done() holds; false when it still does not.
  template <typename Done>
  static bool spin_until(const Done& done);

  std::vector<std::thread> workers_;
  // Job fields, written by the caller before it publishes the job in claim_ and read by a thread only after it
  // claimed a chunk of that job (the caller does not start another job before every claimed chunk is done).
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;  // not owned; valid during parallel_for
  int64_t job_size_ = 0;
  int64_t chunk_size_ = 1;
  // Bits 63-32: generation of the current job; 31-16: its number of chunks; 15-0: next unclaimed chunk. One word,
  // so a successful claim (CAS) also proves the job is still the current one and the chunk is in range.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> num_chunks_done_{0};
  // Sleep/wake protocol: a sleeper registers itself (seq_cst) before re-checking under mutex_; a publisher stores
  // (seq_cst) before it reads the count, so one of the two always sees the other.
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::atomic<int> num_sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace fovea::base
