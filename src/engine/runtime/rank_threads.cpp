// RankThreads: a generation counter under one mutex hands each run to the helper threads; rank 0 runs inline; the
// watchdog thread sleeps until the running step's deadline. Must not contain model code.
#include "engine/runtime/rank_threads.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/check.h"
#include "base/log.h"

namespace fovea::engine {
namespace {

double seconds(std::chrono::steady_clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

}  // namespace

RankThreads::RankThreads(int num_ranks)
    : num_ranks_(num_ranks), results_(static_cast<size_t>(num_ranks)), returned_(static_cast<size_t>(num_ranks), 0) {
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
  done_.notify_all();
  watch_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  if (watchdog_thread_.joinable()) watchdog_thread_.join();
}

void RankThreads::set_step_watchdog(StepWatchdog watchdog) {
  FOVEA_CHECK(!watchdog_thread_.joinable(), "RankThreads::set_step_watchdog called twice");
  if (num_ranks_ == 1 || watchdog.limit.count() <= 0) return;
  watchdog_ = std::move(watchdog);
  watchdog_thread_ = std::thread([this] { watchdog_loop(); });
}

std::string RankThreads::busy_ranks() const {
  std::string out;
  for (int rank_idx = 0; rank_idx < num_ranks_; ++rank_idx) {
    if (returned_[static_cast<size_t>(rank_idx)]) continue;
    out += out.empty() ? fmt::format("{}", rank_idx) : fmt::format(", {}", rank_idx);
  }
  return out;
}

std::string RankThreads::run_name() const {
  return describe_ != nullptr && *describe_ ? (*describe_)() : std::string("run");
}

bool RankThreads::all_returned() const {
  for (char returned : returned_) {
    if (!returned) return false;
  }
  return true;
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
    returned_[static_cast<size_t>(rank_idx)] = 1;
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

// Sleeps until the deadline of the run it watches, on a condition variable nothing else notifies: under steady load
// it wakes about once per limit, finds a later run in progress and sleeps until that one's deadline.
void RankThreads::watchdog_loop() {
  std::unique_lock lock(mutex_);
  uint64_t watched = 0;
  while (true) {
    start_.wait(lock, [&] { return stop_ || (running_ && generation_ != watched); });
    if (stop_) return;
    watched = generation_;
    const auto run_over = [&] { return stop_ || !running_ || generation_ != watched || all_returned(); };
    if (watch_.wait_until(lock, run_start_ + watchdog_.limit, run_over)) continue;

    const auto elapsed = std::chrono::steady_clock::now() - run_start_;
    timeout_error_ = fmt::format(
        "{} did not finish within the {:.1f} s engine step limit: tensor-parallel rank(s) {} had not returned after "
        "{:.2f} s, so every communicator was aborted and the engine stops (a GPU that stopped answering, or a "
        "collective whose peer never arrived; FOVEA_ENGINE_ITERATION_TIMEOUT_S sets the limit); restart the server",
        run_name(), seconds(watchdog_.limit), busy_ranks(), seconds(elapsed));
    const std::string error = timeout_error_;
    lock.unlock();
    FOVEA_LOG_ERROR("{}", error);
    if (on_failure_) on_failure_();
    lock.lock();
    // Helper ranks notify done_ as they return; rank 0's return is seen at the end of the grace period.
    if (done_.wait_until(lock, std::chrono::steady_clock::now() + watchdog_.grace, run_over)) continue;

    const std::string stuck = fmt::format(
        "{}: tensor-parallel rank(s) {} still had not returned {:.1f} s after the communicators were aborted; the "
        "engine is dead and serves no more requests; restart the server",
        run_name(), busy_ranks(), seconds(watchdog_.grace));
    lock.unlock();
    FOVEA_LOG_ERROR("{}", stuck);
    if (watchdog_.on_stuck) watchdog_.on_stuck(stuck);
    lock.lock();
  }
}

base::Status RankThreads::run(const RankFn& fn, const Describe& describe) {
  if (num_ranks_ == 1) return fn(0);
  {
    std::lock_guard lock(mutex_);
    fn_ = &fn;
    num_done_ = 0;
    first_failed_rank_ = -1;
    for (base::Status& result : results_) result = base::Status();
    std::fill(returned_.begin(), returned_.end(), 0);
    timeout_error_.clear();
    describe_ = &describe;
    run_start_ = std::chrono::steady_clock::now();
    running_ = true;
    ++generation_;
  }
  start_.notify_all();
  finish(0, fn(0));
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return num_done_ == num_ranks_ - 1; });
  fn_ = nullptr;
  describe_ = nullptr;
  running_ = false;
  if (!timeout_error_.empty()) return base::make_error(base::StatusCode::kUnavailable, "{}", timeout_error_);
  if (first_failed_rank_ < 0) return base::Status();
  const base::Status& failed = results_[static_cast<size_t>(first_failed_rank_)];
  return base::make_error(failed.code(), "tensor-parallel rank {}: {}", first_failed_rank_, failed.message());
}

}  // namespace fovea::engine
