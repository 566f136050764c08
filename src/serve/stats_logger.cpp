// The periodic stats line.
// Must not contain metric definitions or HTTP transport.
#include "serve/stats_logger.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "base/log.h"

namespace fovea::serve {
namespace {

constexpr std::chrono::milliseconds kDefaultInterval{10'000};

std::optional<double> positive_seconds(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0' || !(value > 0.0) || value > 86'400.0) return std::nullopt;
  return value;
}

}  // namespace

std::string format_stats_line(const StatsLine& line) {
  return fmt::format(
      "Engine 000: Avg prompt throughput: {:.1f} tokens/s, Avg generation throughput: {:.1f} tokens/s, Running: {} "
      "reqs, Waiting: {} reqs, GPU KV cache usage: {:.1f}%, Prefix cache hit rate: {:.1f}%",
      line.prompt_tokens_per_s, line.generation_tokens_per_s, line.num_running, line.num_waiting,
      line.kv_cache_usage * 100.0, line.prefix_cache_hit_rate * 100.0);
}

StatsLine StatsAccumulator::next(const engine::EngineStats& now, double elapsed_s, bool* active) {
  StatsLine line;
  const double seconds = std::max(elapsed_s, 1e-9);
  line.prompt_tokens_per_s =
      static_cast<double>(std::max<int64_t>(0, now.prompt_tokens_total - last_.prompt_tokens_total)) / seconds;
  line.generation_tokens_per_s =
      static_cast<double>(std::max<int64_t>(0, now.generation_tokens_total - last_.generation_tokens_total)) / seconds;
  line.num_running = now.num_running;
  line.num_waiting = now.num_waiting;
  line.kv_cache_usage = now.kv_cache_usage;
  prefix_window_.emplace_back(std::max<int64_t>(0, now.prefix_cache_queries - last_.prefix_cache_queries),
                              std::max<int64_t>(0, now.prefix_cache_hits - last_.prefix_cache_hits));
  while (prefix_window_.size() > kPrefixWindowIntervals) prefix_window_.pop_front();
  int64_t num_queries = 0;
  int64_t num_hits = 0;
  for (const auto& [queries, hits] : prefix_window_) {
    num_queries += queries;
    num_hits += hits;
  }
  line.prefix_cache_hit_rate = num_queries > 0 ? static_cast<double>(num_hits) / static_cast<double>(num_queries) : 0.0;
  // vLLM keeps idle systems quiet: info only while this interval or the one before had throughput.
  const bool has_throughput = line.prompt_tokens_per_s > 0.0 || line.generation_tokens_per_s > 0.0;
  *active = has_throughput || last_had_throughput_;
  last_had_throughput_ = has_throughput;
  last_ = now;
  return line;
}

std::chrono::milliseconds log_stats_interval(const std::function<std::optional<std::string>(const char*)>& getenv) {
  for (const char* name : {"FOVEA_LOG_STATS_INTERVAL", "VLLM_LOG_STATS_INTERVAL"}) {
    if (std::optional<double> seconds = positive_seconds(getenv(name))) {
      return std::max(std::chrono::milliseconds(1), std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000.0)));
    }
  }
  return kDefaultInterval;
}

StatsLogger::StatsLogger(const engine::Engine* engine, std::chrono::milliseconds interval)
    : engine_(engine), interval_(interval), thread_([this] { run(); }) {}

StatsLogger::~StatsLogger() { stop(); }

void StatsLogger::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StatsLogger::run() {
  StatsAccumulator accumulator(engine_->stats());
  auto last_time = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    const auto now_time = std::chrono::steady_clock::now();
    bool active = false;
    const StatsLine line =
        accumulator.next(engine_->stats(), std::chrono::duration<double>(now_time - last_time).count(), &active);
    last_time = now_time;
    if (active) {
      FOVEA_LOG_INFO("{}", format_stats_line(line));
    } else {
      FOVEA_LOG_DEBUG("{}", format_stats_line(line));
    }
  }
}

}  // namespace fovea::serve
