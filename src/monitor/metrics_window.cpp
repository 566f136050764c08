// Window arithmetic over scrapes: counter growth (a server restart resets counters: growth is then counted from 0),
// histogram quantiles from bucket growth. Must not contain scraping or rendering.
#include "monitor/metrics_window.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fovea::monitor {
namespace {

// Growth of a counter; a counter that went down was reset, so all of `newer` is growth.
double growth(double newer, double older) { return newer >= older ? newer - older : newer; }

std::optional<double> ratio(double numerator, double denominator) {
  if (!(denominator > 0.0)) return std::nullopt;
  return numerator / denominator;
}

}  // namespace

std::optional<double> histogram_quantile(double q, const HistogramData& newer, const HistogramData* older) {
  if (newer.empty()) return std::nullopt;
  const size_t num_buckets = newer.upper_bounds.size();
  // Bucket counts of the window; a histogram whose bounds changed or that was reset counts from zero.
  const bool same_bounds = older != nullptr && older->upper_bounds == newer.upper_bounds && older->count <= newer.count;
  std::vector<double> counts(num_buckets);
  for (size_t idx = 0; idx < num_buckets; ++idx) {
    counts[idx] = newer.cumulative_counts[idx] - (same_bounds ? older->cumulative_counts[idx] : 0.0);
    if (idx > 0) counts[idx] = std::max(counts[idx], counts[idx - 1]);
  }
  const double total = counts.back();
  if (!(total > 0.0) || !(q >= 0.0 && q <= 1.0)) return std::nullopt;
  const double rank = q * total;
  size_t bucket_idx = 0;
  while (bucket_idx + 1 < num_buckets && counts[bucket_idx] < rank) ++bucket_idx;
  if (std::isinf(newer.upper_bounds[bucket_idx])) {
    return bucket_idx > 0 ? std::optional<double>(newer.upper_bounds[bucket_idx - 1]) : std::nullopt;
  }
  const double lower_bound = bucket_idx > 0 ? newer.upper_bounds[bucket_idx - 1] : 0.0;
  const double lower_count = bucket_idx > 0 ? counts[bucket_idx - 1] : 0.0;
  const double in_bucket = counts[bucket_idx] - lower_count;
  if (!(in_bucket > 0.0)) return newer.upper_bounds[bucket_idx];
  return lower_bound + (newer.upper_bounds[bucket_idx] - lower_bound) * (rank - lower_count) / in_bucket;
}

Percentiles histogram_percentiles(const HistogramData& newer, const HistogramData* older) {
  Percentiles out;
  out.p50 = histogram_quantile(0.50, newer, older);
  out.p90 = histogram_quantile(0.90, newer, older);
  out.p99 = histogram_quantile(0.99, newer, older);
  const bool same_bounds = older != nullptr && older->upper_bounds == newer.upper_bounds && older->count <= newer.count;
  out.count = newer.count - (same_bounds ? older->count : 0.0);
  return out;
}

void MetricsWindow::add(MetricsSnapshot snapshot) {
  snapshots_.push_back(std::move(snapshot));
  const double newest_s = snapshots_.back().time_s;
  while (snapshots_.size() > 2 && newest_s - snapshots_[1].time_s >= window_s_) snapshots_.pop_front();
}

WindowStats MetricsWindow::stats() const {
  WindowStats out;
  if (snapshots_.empty()) return out;
  const MetricsSnapshot& newest = snapshots_.back();
  const MetricsSnapshot* oldest = snapshots_.size() > 1 ? &snapshots_.front() : nullptr;
  const MetricsSnapshot zero;
  const MetricsSnapshot& base = oldest != nullptr ? *oldest : zero;
  out.time_to_first_token =
      histogram_percentiles(newest.time_to_first_token, oldest != nullptr ? &oldest->time_to_first_token : nullptr);
  out.inter_token_latency =
      histogram_percentiles(newest.inter_token_latency, oldest != nullptr ? &oldest->inter_token_latency : nullptr);
  out.prefix_cache_hit_rate = ratio(growth(newest.prefix_cache_hits, base.prefix_cache_hits),
                                    growth(newest.prefix_cache_queries, base.prefix_cache_queries));
  out.encoder_cache_hit_rate = ratio(growth(newest.encoder_cache_hits, base.encoder_cache_hits),
                                     growth(newest.encoder_cache_queries, base.encoder_cache_queries));
  if (oldest != nullptr && newest.time_s > oldest->time_s) {
    out.window_s = newest.time_s - oldest->time_s;
    out.prompt_tokens_per_s = growth(newest.prompt_tokens, oldest->prompt_tokens) / out.window_s;
    out.generation_tokens_per_s = growth(newest.generation_tokens, oldest->generation_tokens) / out.window_s;
  }
  return out;
}

}  // namespace fovea::monitor
