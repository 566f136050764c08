// Engine stats and request timings -> Prometheus metrics.
// Must not contain HTTP transport or the metric definitions.
#include "serve/engine_metrics_feed.h"

#include <algorithm>

namespace fovea::serve {
namespace {

// Counters only grow; an engine total that went down (never expected) adds nothing.
void advance(Counter& counter, int64_t now, int64_t& last) {
  if (now > last) counter.inc(static_cast<double>(now - last));
  last = std::max(last, now);
}

}  // namespace

void EngineMetricsFeed::update(const engine::EngineStats& stats) {
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_.num_requests_running.set(static_cast<double>(stats.num_running));
  metrics_.num_requests_waiting.set(static_cast<double>(stats.num_waiting));
  metrics_.kv_cache_usage_perc.set(stats.kv_cache_usage);
  advance(metrics_.prefix_cache_queries, stats.prefix_cache_queries, last_.prefix_cache_queries);
  advance(metrics_.prefix_cache_hits, stats.prefix_cache_hits, last_.prefix_cache_hits);
  advance(metrics_.encoder_cache_queries, stats.encoder_cache_queries, last_.encoder_cache_queries);
  advance(metrics_.encoder_cache_hits, stats.encoder_cache_hits, last_.encoder_cache_hits);
  advance(metrics_.num_preemptions, stats.num_preemptions, last_.num_preemptions);
  advance(metrics_.prompt_tokens, stats.prompt_tokens_total, last_.prompt_tokens_total);
  advance(metrics_.generation_tokens, stats.generation_tokens_total, last_.generation_tokens_total);
}

void EngineMetricsFeed::record_finished(const FinishedRequest& request) {
  const engine::RequestTimings& timings = request.timings;
  metrics_.request_success(request.finished_reason).inc();
  metrics_.request_prompt_tokens.observe(static_cast<double>(request.usage.prompt_tokens));
  metrics_.request_generation_tokens.observe(static_cast<double>(request.usage.completion_tokens));
  metrics_.request_max_num_generation_tokens.observe(
      static_cast<double>(request.usage.completion_tokens) / std::max(1, request.n));
  metrics_.request_params_n.observe(request.n);
  if (request.max_tokens) metrics_.request_params_max_tokens.observe(static_cast<double>(*request.max_tokens));
  if (timings.end_to_end_s <= 0.0) return;  // never scheduled (aborted while waiting): no timings to report
  metrics_.e2e_request_latency_seconds.observe(timings.end_to_end_s);
  metrics_.request_queue_time_seconds.observe(timings.queue_s);
  metrics_.request_inference_time_seconds.observe(std::max(0.0, timings.end_to_end_s - timings.queue_s));
  if (timings.first_token_s > 0.0) {
    metrics_.time_to_first_token_seconds.observe(timings.first_token_s);
    metrics_.request_prefill_time_seconds.observe(std::max(0.0, timings.first_token_s - timings.queue_s));
    metrics_.request_decode_time_seconds.observe(std::max(0.0, timings.end_to_end_s - timings.first_token_s));
    const int64_t num_decode_tokens = request.usage.completion_tokens / std::max(1, request.n) - 1;
    if (num_decode_tokens > 0) {
      metrics_.request_time_per_output_token_seconds.observe((timings.end_to_end_s - timings.first_token_s) /
                                                             static_cast<double>(num_decode_tokens));
    }
  }
  if (timings.vision_encoder_s > 0.0) metrics_.vision_encoder_seconds.observe(timings.vision_encoder_s);
}

}  // namespace fovea::serve
