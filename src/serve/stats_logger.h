// StatsLogger: vLLM's periodic engine stats line (LoggingStatLogger): every interval (VLLM_LOG_STATS_INTERVAL,
// 10 s) the prompt and generation throughput over the interval, running and waiting requests, KV cache usage and
// the prefix cache hit rate; at info while there is or just was traffic, at debug when idle. --disable-log-stats
// turns it off. Reads Engine::stats() only. Must not contain metric definitions or HTTP transport.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/runtime/engine.h"

namespace fovea::serve {

// What one stats line reports.
struct StatsLine {
  double prompt_tokens_per_s = 0.0;
  double generation_tokens_per_s = 0.0;
  int64_t num_running = 0;
  int64_t num_waiting = 0;
  double kv_cache_usage = 0.0;         // 0..1
  double prefix_cache_hit_rate = 0.0;  // 0..1, over the recent window
};

// "Engine 000: Avg prompt throughput: 12.3 tokens/s, Avg generation throughput: ..., Running: 1 reqs, Waiting: 0
// reqs, GPU KV cache usage: 4.2%, Prefix cache hit rate: 50.0%" (vLLM's wording, so log scrapers keep working).
std::string format_stats_line(const StatsLine& line);

// Turns successive engine stats into lines: throughput from the growth of the token totals over the interval,
// the prefix hit rate over the last kPrefixWindowIntervals intervals (vLLM: over its last 1000 requests).
class StatsAccumulator {
 public:
  static constexpr size_t kPrefixWindowIntervals = 60;

  explicit StatsAccumulator(const engine::EngineStats& start) : last_(start) {}
  // The line for the interval ending with `now`, `elapsed_s` long; `active` tells whether it is worth info.
  StatsLine next(const engine::EngineStats& now, double elapsed_s, bool* active);

 private:
  engine::EngineStats last_;
  bool last_had_throughput_ = false;
  std::deque<std::pair<int64_t, int64_t>> prefix_window_;  // (queries, hits) per interval, in tokens
};

// The interval: FOVEA_LOG_STATS_INTERVAL, else VLLM_LOG_STATS_INTERVAL (seconds, > 0), else 10 s.
std::chrono::milliseconds log_stats_interval(const std::function<std::optional<std::string>(const char*)>& getenv);

class StatsLogger {
 public:
  // Logs for `engine` (not owned; outlives the logger) every `interval` until stopped or destroyed.
  StatsLogger(const engine::Engine* engine, std::chrono::milliseconds interval);
  StatsLogger(const StatsLogger&) = delete;
  StatsLogger& operator=(const StatsLogger&) = delete;
  ~StatsLogger();

  void stop();

 private:
  void run();

  const engine::Engine* engine_;  // not owned
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fovea::serve
