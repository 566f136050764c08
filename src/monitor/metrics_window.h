// MetricsWindow: the scrapes of the last minute (or any window) and what they say together: token rates, latency
// percentiles from the growth of the histogram buckets (Prometheus' histogram_quantile), cache hit rates. Must not
// contain scraping or rendering.
#pragma once

#include <deque>
#include <optional>

#include "monitor/metrics_snapshot.h"

namespace fovea::monitor {

struct Percentiles {
  std::optional<double> p50;  // seconds; nullopt when nothing was observed
  std::optional<double> p90;
  std::optional<double> p99;
  double count = 0.0;  // observations in the window
};

// Quantile q (0..1) of the observations `newer` holds beyond `older` (nullptr: all of newer), interpolated linearly
// inside its bucket; one in the +Inf bucket is reported as the largest finite bound. nullopt without observations.
std::optional<double> histogram_quantile(double q, const HistogramData& newer, const HistogramData* older);
Percentiles histogram_percentiles(const HistogramData& newer, const HistogramData* older);

struct WindowStats {
  double window_s = 0.0;  // between the oldest and newest scrape; 0 with a single scrape (then: since start)
  std::optional<double> prompt_tokens_per_s;      // nullopt with a single scrape
  std::optional<double> generation_tokens_per_s;  // likewise
  Percentiles time_to_first_token;
  Percentiles inter_token_latency;
  std::optional<double> prefix_cache_hit_rate;   // hits / queries in the window; nullopt without queries
  std::optional<double> encoder_cache_hit_rate;  // likewise
};

class MetricsWindow {
 public:
  explicit MetricsWindow(double window_s = 60.0) : window_s_(window_s) {}

  // Adds a scrape (time_s must not go back) and drops those older than the window, keeping at least two.
  void add(MetricsSnapshot snapshot);
  const MetricsSnapshot* latest() const { return snapshots_.empty() ? nullptr : &snapshots_.back(); }
  WindowStats stats() const;

 private:
  double window_s_;
  std::deque<MetricsSnapshot> snapshots_;
};

}  // namespace fovea::monitor
