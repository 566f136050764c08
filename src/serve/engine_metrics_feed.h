// Feeds ServerMetrics from the engine: the scheduler gauges and cumulative counters from Engine::stats() at each
// scrape (counters advance by the growth since the last scrape), and the per-request histograms (time to first
// token, inter-token latency, end-to-end, queue, prefill/decode, vision encoder, token counts) when a request ends,
// and at each scrape the KV cache's size, the start-up memory summary and the GPUs' telemetry. Must not contain HTTP transport or the metric definitions (server_metrics.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"
#include "serve/server_metrics.h"

namespace fovea::serve {

// What the server saw of one request, for the per-request histograms.
struct FinishedRequest {
  engine::RequestTimings timings;
  engine::RequestUsage usage;
  int32_t n = 1;
  std::optional<int64_t> max_tokens;
  std::string finished_reason;  // "stop", "length", "abort", "error"
};

class EngineMetricsFeed {
 public:
  explicit EngineMetricsFeed(ServerMetrics& metrics) : metrics_(metrics) {}

  // Copies gauges and advances the counters to the engine's totals (thread-safe).
  void update(const engine::EngineStats& stats);
  // The KV cache's size and the start-up memory summary (fixed once the engine runs) and each GPU's telemetry.
  void update_engine_info(const engine::EngineInfo& info);
  void update_gpus(const std::vector<engine::GpuStatus>& gpus);
  void record_finished(const FinishedRequest& request);
  // The gap between two token-carrying updates of one request.
  void record_inter_token_latency(double seconds) { metrics_.inter_token_latency_seconds.observe(seconds); }

 private:
  ServerMetrics& metrics_;  // not owned; outlives the feed
  std::mutex mutex_;
  engine::EngineStats last_;  // the totals already added to the counters
  uint64_t kv_cache_block_bytes_ = 0;  // bytes of one block, from the last update_engine_info
};

}  // namespace fovea::serve
