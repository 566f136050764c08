// The bench's sender: a dispatcher releases requests at their arrival times into a queue that a fixed set of
// worker threads (the concurrency slots) drains. Must not contain datasets or metric computation.
#include "bench/load_runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "bench/arrival_schedule.h"

namespace fovea::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

struct Released {
  size_t request_idx = 0;
  Clock::time_point arrival;
};

}  // namespace

LoadResult run_load(const ServerAddress& address, const std::vector<RunRequest>& requests, const LoadOptions& options,
                    const ProgressFn& progress) {
  LoadResult result;
  result.records.resize(requests.size());
  if (requests.empty()) return result;
  const auto num_requests = static_cast<int64_t>(requests.size());
  const std::vector<double> arrivals =
      arrival_times_s(num_requests, options.request_rate, options.burstiness, options.seed);
  const int64_t limit = options.max_concurrency > 0 ? options.max_concurrency : kMaxThreads;
  const int64_t num_workers = std::min(limit, num_requests);

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Released> queue;
  bool all_released = false;
  int64_t num_done = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point last_end = start;

  auto worker = [&] {
    OpenAiClient client(address, options.request_timeout_s);
    while (true) {
      Released next;
      {
        std::unique_lock<std::mutex> lock(mutex);
        ready.wait(lock, [&] { return !queue.empty() || all_released; });
        if (queue.empty()) return;
        next = queue.front();
        queue.pop_front();
      }
      const Clock::time_point sent = Clock::now();
      RequestRecord seed;
      seed.start_time_s = seconds_between(start, sent);
      seed.queue_time_s = seconds_between(next.arrival, sent);
      seed.num_images = requests[next.request_idx].num_images;
      RequestRecord record = client.stream(options.route, requests[next.request_idx].body, std::move(seed));
      const Clock::time_point ended = Clock::now();
      std::lock_guard<std::mutex> lock(mutex);
      result.records[next.request_idx] = std::move(record);
      last_end = std::max(last_end, ended);
      ++num_done;
      if (progress) progress(num_done, num_requests);
    }
  };

  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(num_workers));
  for (int64_t worker_idx = 0; worker_idx < num_workers; ++worker_idx) workers.emplace_back(worker);
  for (size_t request_idx = 0; request_idx < requests.size(); ++request_idx) {
    const Clock::time_point arrival =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arrivals[request_idx]));
    std::this_thread::sleep_until(arrival);
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back({request_idx, Clock::now()});
    }
    ready.notify_one();
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    all_released = true;
  }
  ready.notify_all();
  for (std::thread& thread : workers) thread.join();
  result.duration_s = seconds_between(start, last_end);
  return result;
}

}  // namespace fovea::bench
