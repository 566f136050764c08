// vLLM-shaped result JSON and the printed table of one run. Must not contain I/O.
#include "bench/result_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fovea::bench {
namespace {

constexpr size_t kMaxPrintedErrors = 10;

struct MetricName {
  const char* key;
  const char* short_name;
  const char* header;
};

constexpr MetricName kMetricNames[] = {
    {"ttft", "TTFT", "Time to First Token"},
    {"tpot", "TPOT", "Time per Output Token (excl. 1st token)"},
    {"itl", "ITL", "Inter-token Latency"},
    {"e2el", "E2EL", "End-to-end Latency"},
};

const LatencyStats& stats_of(const BenchMetrics& metrics, std::string_view key) {
  if (key == "ttft") return metrics.ttft;
  if (key == "tpot") return metrics.tpot;
  if (key == "itl") return metrics.itl;
  return metrics.e2el;
}

bool selected(const RunInfo& info, std::string_view key) {
  return std::find(info.percentile_metrics.begin(), info.percentile_metrics.end(), key) !=
         info.percentile_metrics.end();
}

void add_row(std::string& out, std::string_view name, const std::string& value) {
  out += fmt::format("{:<40} {:<10}\n", name, value);
}

std::string centered(std::string_view title, char fill) {
  const size_t width = 50;
  if (title.size() >= width) return std::string(title) + "\n";
  const size_t left = (width - title.size()) / 2;
  return std::string(left, fill) + std::string(title) + std::string(width - title.size() - left, fill) + "\n";
}

}  // namespace

std::string percentile_word(double p) {
  if (p == std::floor(p)) return fmt::format("{}", static_cast<int64_t>(p));
  return fmt::format("{}", p);
}

nlohmann::ordered_json result_json(const BenchMetrics& metrics, const std::vector<RequestRecord>& records,
                                   const RunInfo& info) {
  nlohmann::ordered_json out;
  out["date"] = info.date;
  out["endpoint_type"] = "openai-chat";
  out["backend"] = "openai-chat";
  out["label"] = info.label;
  out["model_id"] = info.model_id;
  out["tokenizer_id"] = info.model_id;  // the server's tokenizer, reached through /tokenize
  out["num_prompts"] = info.num_prompts;
  if (std::isinf(info.request_rate)) {
    out["request_rate"] = "inf";
  } else {
    out["request_rate"] = info.request_rate;
  }
  out["burstiness"] = info.burstiness;
  out["max_concurrency"] = info.max_concurrency > 0 ? nlohmann::ordered_json(info.max_concurrency) : nullptr;
  out["dataset_name"] = info.dataset_name;
  if (!info.sweep_parameter.empty()) {
    out["sweep_parameter"] = info.sweep_parameter;
    out["sweep_value"] = info.sweep_value;
  }
  out["duration"] = metrics.duration_s;
  out["completed"] = metrics.completed;
  out["failed"] = metrics.failed;
  out["total_input_tokens"] = metrics.total_input_tokens;
  out["total_output_tokens"] = metrics.total_output_tokens;
  out["total_input_images"] = metrics.total_input_images;
  out["request_throughput"] = metrics.request_throughput;
  out["request_goodput"] = nullptr;
  out["output_throughput"] = metrics.output_throughput;
  out["total_token_throughput"] = metrics.total_token_throughput;
  out["image_throughput"] = metrics.image_throughput;
  nlohmann::ordered_json input_lens = nlohmann::ordered_json::array(), output_lens = nlohmann::ordered_json::array(),
                         ttfts = nlohmann::ordered_json::array(), itls = nlohmann::ordered_json::array(),
                         latencies = nlohmann::ordered_json::array(), start_times = nlohmann::ordered_json::array(),
                         queue_times = nlohmann::ordered_json::array(), texts = nlohmann::ordered_json::array(),
                         errors = nlohmann::ordered_json::array();
  for (const RequestRecord& record : records) {
    input_lens.push_back(record.prompt_tokens);
    output_lens.push_back(record.success ? record.output_tokens : 0);
    ttfts.push_back(record.ttft_s);
    itls.push_back(record.itl_s);
    latencies.push_back(record.latency_s);
    start_times.push_back(record.start_time_s);
    queue_times.push_back(record.queue_time_s);
    texts.push_back(record.generated_text);
    errors.push_back(record.error);
  }
  out["input_lens"] = std::move(input_lens);
  out["output_lens"] = std::move(output_lens);
  out["ttfts"] = std::move(ttfts);
  out["itls"] = std::move(itls);
  out["latencies"] = std::move(latencies);
  out["start_times"] = std::move(start_times);
  out["queue_times"] = std::move(queue_times);
  out["generated_texts"] = std::move(texts);
  out["errors"] = std::move(errors);
  out["max_output_tokens_per_s"] = metrics.max_output_tokens_per_s;
  out["max_concurrent_requests"] = metrics.max_concurrent_requests;
  for (const MetricName& name : kMetricNames) {
    if (!selected(info, name.key)) continue;
    const LatencyStats& stats = stats_of(metrics, name.key);
    out[fmt::format("mean_{}_ms", name.key)] = stats.mean_ms;
    out[fmt::format("median_{}_ms", name.key)] = stats.median_ms;
    out[fmt::format("std_{}_ms", name.key)] = stats.std_ms;
    for (const auto& [p, value] : stats.percentiles_ms) {
      out[fmt::format("p{}_{}_ms", percentile_word(p), name.key)] = value;
    }
  }
  return out;
}

std::string result_table(const BenchMetrics& metrics, const std::vector<RequestRecord>& records, const RunInfo& info) {
  std::string out = centered(" Serving Benchmark Result ", '=');
  if (!info.sweep_parameter.empty()) add_row(out, "Sweep:", info.sweep_parameter + "=" + info.sweep_value);
  add_row(out, "Successful requests:", std::to_string(metrics.completed));
  add_row(out, "Failed requests:", std::to_string(metrics.failed));
  if (info.max_concurrency > 0) add_row(out, "Maximum request concurrency:", std::to_string(info.max_concurrency));
  if (!std::isinf(info.request_rate))
    add_row(out, "Request rate configured (RPS):", fmt::format("{:.2f}", info.request_rate));
  add_row(out, "Benchmark duration (s):", fmt::format("{:.2f}", metrics.duration_s));
  add_row(out, "Total input tokens:", std::to_string(metrics.total_input_tokens));
  add_row(out, "Total generated tokens:", std::to_string(metrics.total_output_tokens));
  if (metrics.total_input_images > 0) add_row(out, "Total input images:", std::to_string(metrics.total_input_images));
  add_row(out, "Request throughput (req/s):", fmt::format("{:.2f}", metrics.request_throughput));
  add_row(out, "Output token throughput (tok/s):", fmt::format("{:.2f}", metrics.output_throughput));
  add_row(out, "Peak output token throughput (tok/s):", fmt::format("{:.2f}", metrics.max_output_tokens_per_s));
  add_row(out, "Peak concurrent requests:", std::to_string(metrics.max_concurrent_requests));
  add_row(out, "Total token throughput (tok/s):", fmt::format("{:.2f}", metrics.total_token_throughput));
  if (metrics.total_input_images > 0)
    add_row(out, "Image throughput (images/s):", fmt::format("{:.2f}", metrics.image_throughput));
  for (const MetricName& name : kMetricNames) {
    if (!selected(info, name.key)) continue;
    const LatencyStats& stats = stats_of(metrics, name.key);
    out += centered(name.header, '-');
    add_row(out, fmt::format("Mean {} (ms):", name.short_name), fmt::format("{:.2f}", stats.mean_ms));
    add_row(out, fmt::format("Median {} (ms):", name.short_name), fmt::format("{:.2f}", stats.median_ms));
    for (const auto& [p, value] : stats.percentiles_ms) {
      add_row(out, fmt::format("P{} {} (ms):", percentile_word(p), name.short_name), fmt::format("{:.2f}", value));
    }
  }
  out += std::string(50, '=') + "\n";
  size_t num_printed = 0;
  for (size_t idx = 0; idx < records.size() && num_printed < kMaxPrintedErrors; ++idx) {
    if (records[idx].success) continue;
    out += fmt::format("Error (request {}): {}\n", idx, records[idx].error);
    ++num_printed;
  }
  return out;
}

}  // namespace fovea::bench
