// Window arithmetic: quantiles from bucket growth land in the bucket of the exact sample quantile, only the window's
// observations count, rates are growth over time, a reset counter counts from zero, old scrapes are dropped.
#include "monitor/metrics_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "serve/server_metrics.h"

namespace fovea::monitor {
namespace {

MetricsSnapshot snapshot_of(const serve::ServerMetrics& metrics, double time_s) {
  base::Result<PrometheusText> text = parse_prometheus_text(metrics.render());
  EXPECT_TRUE(text.ok()) << text.status().message();
  return snapshot_from_text(*text, time_s);
}

// The bucket (index into upper_bounds) a value falls in: the first bound >= value.
size_t bucket_of(const HistogramData& histogram, double value) {
  return static_cast<size_t>(std::lower_bound(histogram.upper_bounds.begin(), histogram.upper_bounds.end(), value) -
                             histogram.upper_bounds.begin());
}

TEST(MetricsWindow, QuantilesLandInTheBucketOfTheExactQuantile) {
  serve::ServerMetrics metrics("m", 4096);
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(-2.0, 1.0);
  std::vector<double> observed;
  for (int idx = 0; idx < 5000; ++idx) {
    observed.push_back(latency(random));
    metrics.time_to_first_token_seconds.observe(observed.back());
  }
  std::sort(observed.begin(), observed.end());
  const HistogramData histogram = snapshot_of(metrics, 0.0).time_to_first_token;
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = observed[static_cast<size_t>(q * static_cast<double>(observed.size())) - 1];
    const std::optional<double> estimate = histogram_quantile(q, histogram, nullptr);
    ASSERT_TRUE(estimate.has_value());
    EXPECT_EQ(bucket_of(histogram, *estimate), bucket_of(histogram, exact)) << "q=" << q << " exact " << exact;
  }
}

TEST(MetricsWindow, OnlyTheWindowsObservationsCount) {
  serve::ServerMetrics metrics("m", 4096);
  for (int idx = 0; idx < 100; ++idx) metrics.time_to_first_token_seconds.observe(0.003);
  MetricsWindow window(60.0);
  window.add(snapshot_of(metrics, 100.0));
  for (int idx = 0; idx < 10; ++idx) metrics.time_to_first_token_seconds.observe(3.0);
  window.add(snapshot_of(metrics, 110.0));
  const WindowStats stats = window.stats();
  EXPECT_EQ(stats.time_to_first_token.count, 10.0);
  ASSERT_TRUE(stats.time_to_first_token.p50.has_value());
  // 3.0 s falls in (2.5, 5.0]: every window quantile is in that bucket.
  EXPECT_GT(*stats.time_to_first_token.p50, 2.5);
  EXPECT_LE(*stats.time_to_first_token.p99, 5.0);
  EXPECT_FALSE(stats.inter_token_latency.p50.has_value());
}

TEST(MetricsWindow, RatesAreGrowthOverTime) {
  serve::ServerMetrics metrics("m", 4096);
  metrics.prompt_tokens.inc(1000);
  metrics.generation_tokens.inc(50);
  metrics.prefix_cache_queries.inc(100);
  metrics.prefix_cache_hits.inc(100);
  MetricsWindow window(60.0);
  window.add(snapshot_of(metrics, 10.0));
  const WindowStats first = window.stats();
  EXPECT_FALSE(first.prompt_tokens_per_s.has_value());
  EXPECT_EQ(first.prefix_cache_hit_rate, 1.0);  // one scrape: since the server started
  metrics.prompt_tokens.inc(400);
  metrics.generation_tokens.inc(200);
  metrics.prefix_cache_queries.inc(100);
  metrics.prefix_cache_hits.inc(25);
  window.add(snapshot_of(metrics, 14.0));
  const WindowStats stats = window.stats();
  EXPECT_EQ(stats.window_s, 4.0);
  EXPECT_EQ(stats.prompt_tokens_per_s, 100.0);
  EXPECT_EQ(stats.generation_tokens_per_s, 50.0);
  EXPECT_EQ(stats.prefix_cache_hit_rate, 0.25);
  EXPECT_FALSE(stats.encoder_cache_hit_rate.has_value());
}

TEST(MetricsWindow, ARestartedServerCountsFromZero) {
  serve::ServerMetrics before("m", 4096);
  before.generation_tokens.inc(5000);
  serve::ServerMetrics after("m", 4096);
  after.generation_tokens.inc(30);
  MetricsWindow window(60.0);
  window.add(snapshot_of(before, 0.0));
  window.add(snapshot_of(after, 3.0));
  EXPECT_EQ(window.stats().generation_tokens_per_s, 10.0);
}

TEST(MetricsWindow, ScrapesOlderThanTheWindowAreDropped) {
  serve::ServerMetrics metrics("m", 4096);
  MetricsWindow window(60.0);
  for (int second = 0; second <= 300; second += 5) window.add(snapshot_of(metrics, second));
  const WindowStats stats = window.stats();
  EXPECT_GE(stats.window_s, 55.0);
  EXPECT_LE(stats.window_s, 60.0);
}

}  // namespace
}  // namespace fovea::monitor
