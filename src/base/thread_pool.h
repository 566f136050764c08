// ThreadPool: a fixed set of worker threads with a blocking parallel_for (the CPU backend's parallelism).
// Must not contain any op or model code.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fovea::base {

class ThreadPool {
 public:
  // num_threads == 0 means one per hardware thread.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n); the calling thread takes part.
  // Blocks until all chunks are done. Not reentrant: fn must not call parallel_for on the same pool.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void worker_loop(int worker_idx);
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;  // not owned; valid during parallel_for
  int64_t job_size_ = 0;
  int64_t chunk_size_ = 1;
  int64_t next_chunk_ = 0;
  int num_busy_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace fovea::base
