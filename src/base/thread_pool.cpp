// ThreadPool: workers sleep on a condition variable and pull chunks of the current job.
#include "base/thread_pool.h"

#include <algorithm>

namespace fovea::base {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_size_ = n;
    // A few chunks per thread balance uneven work without much locking.
    chunk_size_ = std::max<int64_t>(1, n / (static_cast<int64_t>(num_threads()) * 4));
    next_chunk_ = 0;
    num_busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_ready_.notify_all();
  run_chunks();
  std::unique_lock lock(mutex_);
  work_done_.wait(lock, [this] { return num_busy_ == 0; });
  job_ = nullptr;
}

void ThreadPool::run_chunks() {
  for (;;) {
    int64_t begin = 0;
    int64_t end = 0;
    const std::function<void(int64_t, int64_t)>* job = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (next_chunk_ >= job_size_) return;
      begin = next_chunk_;
      end = std::min(job_size_, begin + chunk_size_);
      next_chunk_ = end;
      job = job_;
    }
    (*job)(begin, end);
  }
}

void ThreadPool::worker_loop(int /*worker_idx*/) {
  uint64_t seen_generation = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (stopping_) return;
      seen_generation = generation_;
    }
    run_chunks();
    {
      std::lock_guard lock(mutex_);
      --num_busy_;
    }
    work_done_.notify_one();
  }
}

}  // namespace fovea::base
