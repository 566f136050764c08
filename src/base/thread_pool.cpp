// ThreadPool: chunks are claimed lock-free from one (generation, next chunk) word; workers spin briefly with a
// pause instruction between jobs, then sleep on a condition variable.
#include "base/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace fovea::base {
namespace {

constexpr int64_t kMaxChunks = 0xFFFF;  // the claim word's 16-bit chunk fields

constexpr uint64_t pack(uint32_t generation, uint64_t num_chunks, uint64_t chunk_idx) {
  return (static_cast<uint64_t>(generation) << 32) | (num_chunks << 16) | chunk_idx;
}
constexpr uint32_t generation_of(uint64_t claim) { return static_cast<uint32_t>(claim >> 32); }
constexpr uint64_t num_chunks_of(uint64_t claim) { return (claim >> 16) & 0xFFFF; }
constexpr uint64_t chunk_of(uint64_t claim) { return claim & 0xFFFF; }

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

}  // namespace

template <typename Done>
bool ThreadPool::spin_until(const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (;;) {
    // Reading the clock costs more than a poll, so poll a few times per clock read.
    for (int i = 0; i < 16; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
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
  // A few chunks per thread balance uneven work without many claims.
  job_ = &fn;
  job_size_ = n;
  chunk_size_ =
      std::max({int64_t{1}, (n + kMaxChunks - 1) / kMaxChunks, n / (static_cast<int64_t>(num_threads()) * 4)});
  const int64_t num_chunks = (n + chunk_size_ - 1) / chunk_size_;
  num_chunks_done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = generation_of(claim_.load(std::memory_order_relaxed)) + 1;
  // Publishes the job fields above (seq_cst: also ordered before the sleeper count read below).
  claim_.store(pack(generation, static_cast<uint64_t>(num_chunks), 0), std::memory_order_seq_cst);
  if (num_sleeping_workers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard lock(mutex_); }  // a registered sleeper is now inside wait(), so the notify reaches it
    work_ready_.notify_all();
  }
  run_chunks(generation);
  const auto all_done = [&] { return num_chunks_done_.load(std::memory_order_seq_cst) == num_chunks; };
  if (!spin_until(all_done)) {
    std::unique_lock lock(mutex_);
    caller_sleeping_.store(true, std::memory_order_seq_cst);
    work_done_.wait(lock, all_done);
    caller_sleeping_.store(false, std::memory_order_relaxed);
  }
  job_ = nullptr;
}

void ThreadPool::run_chunks(uint32_t generation) {
  uint64_t claim = claim_.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t num_chunks = num_chunks_of(claim);
    const uint64_t chunk_idx = chunk_of(claim);
    if (generation_of(claim) != generation || chunk_idx >= num_chunks) return;
    if (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      continue;
    }
    const int64_t begin = static_cast<int64_t>(chunk_idx) * chunk_size_;
    (*job_)(begin, std::min(job_size_, begin + chunk_size_));
    // seq_cst: ordered before the caller_sleeping_ read (the caller stores the flag, then re-reads the count).
    if (num_chunks_done_.fetch_add(1, std::memory_order_seq_cst) + 1 == static_cast<int64_t>(num_chunks) &&
        caller_sleeping_.load(std::memory_order_seq_cst)) {
      { std::lock_guard lock(mutex_); }
      work_done_.notify_one();
    }
    claim = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen_generation = generation_of(claim_.load(std::memory_order_acquire));
  for (;;) {
    const auto new_job = [&] {
      return stopping_.load(std::memory_order_relaxed) ||
             generation_of(claim_.load(std::memory_order_seq_cst)) != seen_generation;
    };
    if (!spin_until(new_job)) {
      std::unique_lock lock(mutex_);
      num_sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
      work_ready_.wait(lock, new_job);
      num_sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stopping_.load(std::memory_order_relaxed)) return;
    seen_generation = generation_of(claim_.load(std::memory_order_acquire));
    run_chunks(seen_generation);
  }
}

}  // namespace fovea::base
