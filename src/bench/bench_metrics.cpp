// vLLM's serving-benchmark metrics over RequestRecords. Must not contain I/O or formatting.
#include "bench/bench_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fovea::bench {
namespace {

constexpr double kMsPerS = 1000.0;

// vLLM's peak numbers: output chunks per one-second bucket, and a sweep over [start, end) intervals.
void peak_metrics(const std::vector<RequestRecord>& records, BenchMetrics& metrics) {
  double min_start_s = 0.0;
  double max_end_s = 0.0;
  bool any = false;
  for (const RequestRecord& record : records) {
    if (!record.success) continue;
    min_start_s = any ? std::min(min_start_s, record.start_time_s) : record.start_time_s;
    max_end_s =
        any ? std::max(max_end_s, record.start_time_s + record.latency_s) : record.start_time_s + record.latency_s;
    any = true;
  }
  if (!any) return;
  const auto num_buckets = static_cast<size_t>(std::ceil(max_end_s - min_start_s)) + 1;
  std::vector<double> per_second(num_buckets, 0.0);
  std::vector<std::pair<double, int>> events;
  for (const RequestRecord& record : records) {
    if (!record.success) continue;
    double token_s = record.start_time_s + record.ttft_s;
    auto add = [&](double time_s) {
      const auto bucket = static_cast<int64_t>(time_s - min_start_s);
      if (bucket >= 0 && bucket < static_cast<int64_t>(num_buckets)) per_second[static_cast<size_t>(bucket)] += 1.0;
    };
    add(token_s);
    for (double gap_s : record.itl_s) {
      token_s += gap_s;
      add(token_s);
    }
    events.emplace_back(record.start_time_s, 1);
    events.emplace_back(record.start_time_s + record.latency_s, -1);
  }
  std::sort(events.begin(), events.end());  // at equal times -1 sorts first: intervals are half-open
  int64_t in_flight = 0;
  for (const auto& event : events) {
    in_flight += event.second;
    metrics.max_concurrent_requests = std::max(metrics.max_concurrent_requests, in_flight);
  }
  metrics.max_output_tokens_per_s = *std::max_element(per_second.begin(), per_second.end());
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto low = static_cast<size_t>(std::floor(rank));
  const size_t high = std::min(low + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(low);
  return values[low] + (values[high] - values[low]) * fraction;
}

LatencyStats latency_stats(const std::vector<double>& values_s, const std::vector<double>& percentiles) {
  LatencyStats stats;
  if (!values_s.empty()) {
    const double count = static_cast<double>(values_s.size());
    const double mean = std::accumulate(values_s.begin(), values_s.end(), 0.0) / count;
    double sum_sq = 0.0;
    for (double value : values_s) sum_sq += (value - mean) * (value - mean);
    stats.mean_ms = mean * kMsPerS;
    stats.std_ms = std::sqrt(sum_sq / count) * kMsPerS;
    stats.median_ms = percentile(values_s, 50.0) * kMsPerS;
  }
  for (double p : percentiles) stats.percentiles_ms.emplace_back(p, percentile(values_s, p) * kMsPerS);
  return stats;
}

BenchMetrics compute_metrics(const std::vector<RequestRecord>& records, double duration_s,
                             const std::vector<double>& percentiles) {
  BenchMetrics metrics;
  metrics.duration_s = duration_s;
  std::vector<double> ttfts, tpots, itls, e2els;
  for (const RequestRecord& record : records) {
    if (!record.success) {
      ++metrics.failed;
      continue;
    }
    ++metrics.completed;
    metrics.total_input_tokens += record.prompt_tokens;
    metrics.total_output_tokens += record.output_tokens;
    metrics.total_input_images += record.num_images;
    if (record.output_tokens > 1) {
      tpots.push_back((record.latency_s - record.ttft_s) / static_cast<double>(record.output_tokens - 1));
    }
    itls.insert(itls.end(), record.itl_s.begin(), record.itl_s.end());
    ttfts.push_back(record.ttft_s);
    e2els.push_back(record.latency_s);
  }
  if (duration_s > 0.0) {
    metrics.request_throughput = static_cast<double>(metrics.completed) / duration_s;
    metrics.output_throughput = static_cast<double>(metrics.total_output_tokens) / duration_s;
    metrics.total_token_throughput =
        static_cast<double>(metrics.total_input_tokens + metrics.total_output_tokens) / duration_s;
    metrics.image_throughput = static_cast<double>(metrics.total_input_images) / duration_s;
  }
  metrics.ttft = latency_stats(ttfts, percentiles);
  metrics.tpot = latency_stats(tpots, percentiles);
  metrics.itl = latency_stats(itls, percentiles);
  metrics.e2el = latency_stats(e2els, percentiles);
  peak_metrics(records, metrics);
  return metrics;
}

}  // namespace fovea::bench
