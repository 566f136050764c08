// Engine stats and request timings -> Prometheus metrics.
// Must not contain HTTP transport or the metric definitions.
#include "serve/engine_metrics_feed.h"

#include <algorithm>
#include <cmath>
#include <string>

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
  // The usage is used blocks / total blocks, so the product is a whole number up to rounding.
  const double used_blocks = std::round(stats.kv_cache_usage * static_cast<double>(stats.num_kv_blocks));
  metrics_.kv_cache_used_blocks.set(used_blocks);
  metrics_.kv_cache_used_bytes.set(used_blocks * static_cast<double>(kv_cache_block_bytes_));
  advance(metrics_.prefix_cache_queries, stats.prefix_cache_queries, last_.prefix_cache_queries);
  advance(metrics_.prefix_cache_hits, stats.prefix_cache_hits, last_.prefix_cache_hits);
  advance(metrics_.encoder_cache_queries, stats.encoder_cache_queries, last_.encoder_cache_queries);
  advance(metrics_.encoder_cache_hits, stats.encoder_cache_hits, last_.encoder_cache_hits);
  advance(metrics_.num_preemptions, stats.num_preemptions, last_.num_preemptions);
  advance(metrics_.prompt_tokens, stats.prompt_tokens_total, last_.prompt_tokens_total);
  advance(metrics_.generation_tokens, stats.generation_tokens_total, last_.generation_tokens_total);
}

void EngineMetricsFeed::update_engine_info(const engine::EngineInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_.kv_cache_total_blocks.set(static_cast<double>(info.num_kv_blocks));
  metrics_.kv_cache_total_bytes.set(static_cast<double>(info.kv_cache_bytes));
  metrics_.kv_cache_total_tokens.set(static_cast<double>(info.kv_cache_tokens));
  kv_cache_block_bytes_ = info.num_kv_blocks > 0 ? info.kv_cache_bytes / static_cast<uint64_t>(info.num_kv_blocks) : 0;
  metrics_.cache_config_info(std::to_string(info.kv_block_size_tokens), info.kv_cache_dtype,
                             std::to_string(info.num_kv_blocks))
      .set(1.0);
  for (const engine::DeviceMemoryUse& use : info.memory) {
    const auto set = [&](const char* part, uint64_t num_bytes) {
      metrics_.device_memory_bytes(use.device, use.name, part).set(static_cast<double>(num_bytes));
    };
    set("weights", use.weights_bytes);
    set("workspace", use.workspace_bytes);
    set("cuda_graphs", use.cuda_graphs_bytes);
    set("kv_cache", use.kv_cache_bytes);
    set("other", use.other_bytes);
    set("free", use.free_bytes);
    set("total", use.total_bytes);
  }
}

void EngineMetricsFeed::update_gpus(const std::vector<engine::GpuStatus>& gpus) {
  for (const engine::GpuStatus& gpu : gpus) {
    const std::string idx = std::to_string(gpu.gpu_idx);
    metrics_.gpu_memory_used_bytes(idx, gpu.name).set(static_cast<double>(gpu.memory_used_bytes));
    metrics_.gpu_memory_total_bytes(idx, gpu.name).set(static_cast<double>(gpu.memory_total_bytes));
    if (gpu.utilization_ratio) metrics_.gpu_utilization_ratio(idx, gpu.name).set(*gpu.utilization_ratio);
    if (gpu.temperature_celsius) metrics_.gpu_temperature_celsius(idx, gpu.name).set(*gpu.temperature_celsius);
    if (gpu.power_watts) metrics_.gpu_power_watts(idx, gpu.name).set(*gpu.power_watts);
    if (gpu.power_limit_watts) metrics_.gpu_power_limit_watts(idx, gpu.name).set(*gpu.power_limit_watts);
  }
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
