// PrometheusText -> MetricsSnapshot: series looked up by vLLM's and fovea's names, summed over label sets.
// Must not contain parsing or window arithmetic.
#include "monitor/metrics_snapshot.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace fovea::monitor {
namespace {

// The sum of every sample named `name`; nullopt when there is none.
std::optional<double> sum_of(const PrometheusText& text, std::string_view name) {
  std::optional<double> total;
  for (const PrometheusSample& sample : text.samples) {
    if (sample.name == name && std::isfinite(sample.value)) total = total.value_or(0.0) + sample.value;
  }
  return total;
}

double counter(const PrometheusText& text, std::string_view name) {
  return sum_of(text, std::string(name) + "_total").value_or(0.0);
}

bool parse_bound(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !std::isnan(out);
}

HistogramData histogram(const PrometheusText& text, std::string_view name) {
  const std::string bucket_name = std::string(name) + "_bucket";
  std::map<double, double> by_bound;
  for (const PrometheusSample& sample : text.samples) {
    double bound = 0.0;
    if (sample.name != bucket_name || !parse_bound(sample.label("le"), bound) || !std::isfinite(sample.value)) {
      continue;
    }
    by_bound[bound] += sample.value;
  }
  HistogramData out;
  if (by_bound.empty() || !std::isinf(by_bound.rbegin()->first)) return out;  // no +Inf bucket: not a histogram
  for (const auto& [bound, count] : by_bound) {
    out.upper_bounds.push_back(bound);
    // Cumulative counts never fall from one bound to the next; a scrape torn between updates is evened out.
    out.cumulative_counts.push_back(out.cumulative_counts.empty() ? count
                                                                  : std::max(count, out.cumulative_counts.back()));
  }
  out.count = out.cumulative_counts.back();
  out.sum = sum_of(text, std::string(name) + "_sum").value_or(0.0);
  return out;
}

GpuSnapshot& gpu_entry(std::vector<GpuSnapshot>& gpus, const PrometheusSample& sample) {
  const std::string_view gpu = sample.label("gpu");
  for (GpuSnapshot& entry : gpus) {
    if (entry.gpu == gpu) return entry;
  }
  GpuSnapshot entry;
  entry.gpu = std::string(gpu);
  entry.name = std::string(sample.label("name"));
  gpus.push_back(std::move(entry));
  return gpus.back();
}

void read_gpus(const PrometheusText& text, MetricsSnapshot& out) {
  for (const PrometheusSample& sample : text.samples) {
    if (!sample.name.starts_with("fovea:gpu_") || !std::isfinite(sample.value)) continue;
    std::optional<double> GpuSnapshot::*field = nullptr;
    if (sample.name == "fovea:gpu_memory_used_bytes") field = &GpuSnapshot::memory_used_bytes;
    if (sample.name == "fovea:gpu_memory_total_bytes") field = &GpuSnapshot::memory_total_bytes;
    if (sample.name == "fovea:gpu_utilization_ratio") field = &GpuSnapshot::utilization_ratio;
    if (sample.name == "fovea:gpu_temperature_celsius") field = &GpuSnapshot::temperature_celsius;
    if (sample.name == "fovea:gpu_power_watts") field = &GpuSnapshot::power_watts;
    if (field != nullptr) gpu_entry(out.gpus, sample).*field = sample.value;
  }
  std::sort(out.gpus.begin(), out.gpus.end(), [](const GpuSnapshot& a, const GpuSnapshot& b) {
    return a.gpu.size() != b.gpu.size() ? a.gpu.size() < b.gpu.size() : a.gpu < b.gpu;
  });
}

void read_device_memory(const PrometheusText& text, MetricsSnapshot& out) {
  std::map<std::string, DeviceMemorySnapshot> by_device;
  for (const PrometheusSample& sample : text.samples) {
    if (sample.name != "fovea:device_memory_bytes" || !std::isfinite(sample.value)) continue;
    DeviceMemorySnapshot& entry = by_device[std::string(sample.label("device"))];
    entry.device = std::string(sample.label("device"));
    entry.name = std::string(sample.label("name"));
    entry.part_bytes[std::string(sample.label("part"))] = sample.value;
  }
  for (auto& [device, entry] : by_device) out.memory.push_back(std::move(entry));
}

}  // namespace

MetricsSnapshot snapshot_from_text(const PrometheusText& text, double time_s) {
  MetricsSnapshot out;
  out.time_s = time_s;
  for (const PrometheusSample& sample : text.samples) {
    if (sample.name == "vllm:num_requests_running") {
      out.model_name = std::string(sample.label("model_name"));
      break;
    }
  }
  out.num_requests_running = sum_of(text, "vllm:num_requests_running");
  out.num_requests_waiting = sum_of(text, "vllm:num_requests_waiting");
  out.kv_cache_usage_perc = sum_of(text, "vllm:kv_cache_usage_perc");
  if (!out.kv_cache_usage_perc) out.kv_cache_usage_perc = sum_of(text, "vllm:gpu_cache_usage_perc");
  out.kv_cache_used_blocks = sum_of(text, "fovea:kv_cache_used_blocks");
  out.kv_cache_total_blocks = sum_of(text, "fovea:kv_cache_total_blocks");
  out.kv_cache_used_bytes = sum_of(text, "fovea:kv_cache_used_bytes");
  out.kv_cache_total_bytes = sum_of(text, "fovea:kv_cache_total_bytes");
  out.prompt_tokens = counter(text, "vllm:prompt_tokens");
  out.generation_tokens = counter(text, "vllm:generation_tokens");
  out.prefix_cache_queries = counter(text, "vllm:prefix_cache_queries");
  out.prefix_cache_hits = counter(text, "vllm:prefix_cache_hits");
  out.encoder_cache_queries = counter(text, "fovea:encoder_cache_queries");
  out.encoder_cache_hits = counter(text, "fovea:encoder_cache_hits");
  out.num_preemptions = counter(text, "vllm:num_preemptions");
  out.time_to_first_token = histogram(text, "vllm:time_to_first_token_seconds");
  out.inter_token_latency = histogram(text, "vllm:inter_token_latency_seconds");
  if (out.inter_token_latency.empty()) {
    out.inter_token_latency = histogram(text, "vllm:time_per_output_token_seconds");
  }
  read_gpus(text, out);
  read_device_memory(text, out);
  return out;
}

}  // namespace fovea::monitor
