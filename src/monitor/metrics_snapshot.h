// MetricsSnapshot: what one /metrics scrape of a fovea (or vLLM) server says, by meaning: scheduler gauges, token
// and cache counters, the latency histograms, the KV cache's size, each GPU's telemetry and the start-up memory
// summary. Series of one name are summed over their other labels (model_name, engine). Must not contain parsing
// (prometheus_text.h) or arithmetic over several scrapes (metrics_window.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor/prometheus_text.h"

namespace fovea::monitor {

// A histogram's cumulative buckets, summed over label sets; the last bound is +Inf.
struct HistogramData {
  std::vector<double> upper_bounds;
  std::vector<double> cumulative_counts;  // one per bound
  double count = 0.0;
  double sum = 0.0;

  bool empty() const { return upper_bounds.empty(); }
};

struct GpuSnapshot {
  std::string gpu;   // the label: the CUDA index
  std::string name;  // "NVIDIA H100 80GB HBM3"
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_total_bytes;
  std::optional<double> utilization_ratio;
  std::optional<double> temperature_celsius;
  std::optional<double> power_watts;
};

// fovea:device_memory_bytes of one device, by part ("weights", "workspace", "kv_cache", "free", ...).
struct DeviceMemorySnapshot {
  std::string device;
  std::string name;
  std::map<std::string, double> part_bytes;
};

struct MetricsSnapshot {
  double time_s = 0.0;     // when it was scraped (the caller's clock, seconds)
  std::string model_name;  // the model_name label of the scheduler gauges ("" when absent)

  std::optional<double> num_requests_running;
  std::optional<double> num_requests_waiting;
  std::optional<double> kv_cache_usage_perc;  // 0..1
  std::optional<double> kv_cache_used_blocks;
  std::optional<double> kv_cache_total_blocks;
  std::optional<double> kv_cache_used_bytes;
  std::optional<double> kv_cache_total_bytes;

  // Counters (0 when the server does not export them).
  double prompt_tokens = 0.0;
  double generation_tokens = 0.0;
  double prefix_cache_queries = 0.0;
  double prefix_cache_hits = 0.0;
  double encoder_cache_queries = 0.0;
  double encoder_cache_hits = 0.0;
  double num_preemptions = 0.0;

  HistogramData time_to_first_token;  // vllm:time_to_first_token_seconds
  HistogramData inter_token_latency;  // vllm:inter_token_latency_seconds (or the older time_per_output_token)

  std::vector<GpuSnapshot> gpus;             // ordered by the gpu label
  std::vector<DeviceMemorySnapshot> memory;  // ordered by device
};

MetricsSnapshot snapshot_from_text(const PrometheusText& text, double time_s);

}  // namespace fovea::monitor
