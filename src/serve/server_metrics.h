// The metric set `fovea serve` exports on /metrics. Where vLLM has a metric, fovea uses vLLM's exact name, labels
// (model_name, engine) and histogram buckets (vLLM 0.33, vllm/v1/metrics), so existing Grafana dashboards and
// alerts work unchanged; fovea's own metrics use the "fovea:" prefix. Must not contain the registry mechanics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serve/prometheus_registry.h"

namespace fovea::serve {

// vLLM's 1-2-5 series capped at max_value (for token-count histograms): 1, 2, 5, 10, 20, 50, ...
std::vector<double> one_two_five_buckets(int64_t max_value);

class ServerMetrics {
 public:
  // `model_name` is the primary served name (vLLM labels every metric with it); `max_model_len_tokens` caps the
  // token-count buckets.
  ServerMetrics(std::string model_name, int64_t max_model_len_tokens);
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  std::string render() const { return registry_.render(); }

  // finished_reason: "stop", "length", "abort", "error" (vLLM's FinishReason strings).
  Counter& request_success(std::string_view finished_reason);
  // reason: "max_num_queued_reqs" (vLLM's), or fovea's "max_queue_len" and "draining".
  Counter& admission_rejections(std::string_view reason);
  // route: the route template ("/v1/chat/completions"), never the raw path, so label values stay few.
  Counter& http_requests(std::string_view route, int http_status);
  // One GPU's gauge of each GPU family (labels gpu = the CUDA index, name = the GPU's name).
  Gauge& gpu_memory_used_bytes(const std::string& gpu_idx, const std::string& gpu_name);
  Gauge& gpu_memory_total_bytes(const std::string& gpu_idx, const std::string& gpu_name);
  Gauge& gpu_utilization_ratio(const std::string& gpu_idx, const std::string& gpu_name);
  Gauge& gpu_temperature_celsius(const std::string& gpu_idx, const std::string& gpu_name);
  Gauge& gpu_power_watts(const std::string& gpu_idx, const std::string& gpu_name);
  Gauge& gpu_power_limit_watts(const std::string& gpu_idx, const std::string& gpu_name);
  // The start-up summary's parts ("weights", "workspace", "cuda_graphs", "kv_cache", "other", "free", "total").
  Gauge& device_memory_bytes(const std::string& device, const std::string& device_name, const std::string& part);
  // vLLM's info gauge (value 1) with the cache settings as labels.
  Gauge& cache_config_info(const std::string& block_size_tokens, const std::string& cache_dtype,
                           const std::string& num_gpu_blocks);

 private:
  std::string model_name_;
  MetricsRegistry registry_;
  CounterFamily& request_success_family_;
  CounterFamily& admission_rejections_family_;
  CounterFamily& http_requests_family_;
  GaugeFamily& gpu_memory_used_family_;
  GaugeFamily& gpu_memory_total_family_;
  GaugeFamily& gpu_utilization_family_;
  GaugeFamily& gpu_temperature_family_;
  GaugeFamily& gpu_power_family_;
  GaugeFamily& gpu_power_limit_family_;
  GaugeFamily& device_memory_family_;
  GaugeFamily& cache_config_info_family_;

 public:
  // Scheduler state, set by the engine loop each step.
  Gauge& num_requests_running;  // vllm:num_requests_running
  Gauge& num_requests_waiting;  // vllm:num_requests_waiting
  Gauge& kv_cache_usage_perc;   // vllm:kv_cache_usage_perc, 0..1
  Gauge& kv_cache_total_blocks;  // fovea:kv_cache_total_blocks
  Gauge& kv_cache_used_blocks;   // fovea:kv_cache_used_blocks
  Gauge& kv_cache_total_bytes;   // fovea:kv_cache_total_bytes (device memory the cache holds)
  Gauge& kv_cache_used_bytes;    // fovea:kv_cache_used_bytes
  Gauge& kv_cache_total_tokens;  // fovea:kv_cache_total_tokens

  // Cumulative counts.
  Counter& prefix_cache_queries;   // vllm:prefix_cache_queries (tokens)
  Counter& prefix_cache_hits;      // vllm:prefix_cache_hits (tokens)
  Counter& num_preemptions;        // vllm:num_preemptions
  Counter& prompt_tokens;          // vllm:prompt_tokens
  Counter& generation_tokens;      // vllm:generation_tokens
  Counter& encoder_cache_queries;  // fovea:encoder_cache_queries (images)
  Counter& encoder_cache_hits;     // fovea:encoder_cache_hits (images)

  // Per-request and per-step histograms.
  Histogram& time_to_first_token_seconds;            // vllm:time_to_first_token_seconds
  Histogram& inter_token_latency_seconds;            // vllm:inter_token_latency_seconds
  Histogram& request_time_per_output_token_seconds;  // vllm:request_time_per_output_token_seconds
  Histogram& e2e_request_latency_seconds;            // vllm:e2e_request_latency_seconds
  Histogram& request_queue_time_seconds;             // vllm:request_queue_time_seconds
  Histogram& request_inference_time_seconds;         // vllm:request_inference_time_seconds
  Histogram& request_prefill_time_seconds;           // vllm:request_prefill_time_seconds
  Histogram& request_decode_time_seconds;            // vllm:request_decode_time_seconds
  Histogram& request_prompt_tokens;                  // vllm:request_prompt_tokens
  Histogram& request_generation_tokens;              // vllm:request_generation_tokens
  Histogram& request_max_num_generation_tokens;      // vllm:request_max_num_generation_tokens
  Histogram& request_params_n;                       // vllm:request_params_n
  Histogram& request_params_max_tokens;              // vllm:request_params_max_tokens
  Histogram& iteration_tokens;                       // vllm:iteration_tokens_total (a histogram despite the name)
  Histogram& vision_encoder_seconds;                 // fovea:vision_encoder_seconds (per encoder batch)
};

}  // namespace fovea::serve
