// snapshot_from_text over fovea's own /metrics text: what ServerMetrics and EngineMetricsFeed set is what the
// snapshot reads back (the round trip `fovea top` relies on).
#include "monitor/metrics_snapshot.h"

#include <gtest/gtest.h>

#include "serve/engine_metrics_feed.h"
#include "serve/server_metrics.h"

namespace fovea::monitor {
namespace {

MetricsSnapshot snapshot_of(const serve::ServerMetrics& metrics) {
  base::Result<PrometheusText> text = parse_prometheus_text(metrics.render());
  EXPECT_TRUE(text.ok()) << text.status().message();
  return snapshot_from_text(*text, 12.5);
}

TEST(MetricsSnapshot, ReadsWhatTheServerExports) {
  serve::ServerMetrics metrics("tiny", 4096);
  serve::EngineMetricsFeed feed(metrics);
  engine::EngineInfo info;
  info.num_kv_blocks = 200;
  info.kv_block_size_tokens = 16;
  info.kv_cache_tokens = 3200;
  info.kv_cache_bytes = 200 * 4096;
  info.kv_cache_dtype = "bfloat16";
  engine::DeviceMemoryUse use;
  use.device = "cuda:0";
  use.name = "NVIDIA H100 80GB HBM3";
  use.weights_bytes = 16'000'000'000;
  use.free_bytes = 1'000'000;
  info.memory.push_back(use);
  feed.update_engine_info(info);
  engine::EngineStats stats;
  stats.num_running = 3;
  stats.num_waiting = 2;
  stats.kv_cache_usage = 0.25;
  stats.num_kv_blocks = 200;
  stats.prompt_tokens_total = 1234567;
  stats.generation_tokens_total = 890;
  stats.prefix_cache_queries = 100;
  stats.prefix_cache_hits = 40;
  stats.encoder_cache_queries = 4;
  stats.encoder_cache_hits = 1;
  feed.update(stats);
  engine::GpuStatus gpu;
  gpu.gpu_idx = 0;
  gpu.name = "NVIDIA H100 80GB HBM3";
  gpu.memory_used_bytes = 76'543'210'000;
  gpu.memory_total_bytes = 85'520'809'984;
  gpu.utilization_ratio = 0.87;
  gpu.temperature_celsius = 61;
  gpu.power_watts = 312.5;
  feed.update_gpus({gpu});
  for (double seconds : {0.02, 0.3}) metrics.time_to_first_token_seconds.observe(seconds);
  metrics.inter_token_latency_seconds.observe(0.011);

  const MetricsSnapshot snapshot = snapshot_of(metrics);
  EXPECT_EQ(snapshot.time_s, 12.5);
  EXPECT_EQ(snapshot.model_name, "tiny");
  EXPECT_EQ(snapshot.num_requests_running, 3.0);
  EXPECT_EQ(snapshot.num_requests_waiting, 2.0);
  EXPECT_EQ(snapshot.kv_cache_usage_perc, 0.25);
  EXPECT_EQ(snapshot.kv_cache_total_blocks, 200.0);
  EXPECT_EQ(snapshot.kv_cache_used_blocks, 50.0);
  EXPECT_EQ(snapshot.kv_cache_total_bytes, 200.0 * 4096);
  EXPECT_EQ(snapshot.kv_cache_used_bytes, 50.0 * 4096);
  EXPECT_EQ(snapshot.prompt_tokens, 1234567.0);
  EXPECT_EQ(snapshot.generation_tokens, 890.0);
  EXPECT_EQ(snapshot.prefix_cache_queries, 100.0);
  EXPECT_EQ(snapshot.prefix_cache_hits, 40.0);
  EXPECT_EQ(snapshot.encoder_cache_queries, 4.0);
  EXPECT_EQ(snapshot.encoder_cache_hits, 1.0);
  EXPECT_EQ(snapshot.time_to_first_token.count, 2.0);
  EXPECT_NEAR(snapshot.time_to_first_token.sum, 0.32, 1e-12);
  EXPECT_EQ(snapshot.inter_token_latency.count, 1.0);
  ASSERT_EQ(snapshot.gpus.size(), 1u);
  EXPECT_EQ(snapshot.gpus[0].gpu, "0");
  EXPECT_EQ(snapshot.gpus[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(snapshot.gpus[0].memory_used_bytes, 76'543'210'000.0);
  EXPECT_EQ(snapshot.gpus[0].memory_total_bytes, 85'520'809'984.0);
  EXPECT_EQ(snapshot.gpus[0].utilization_ratio, 0.87);
  EXPECT_EQ(snapshot.gpus[0].temperature_celsius, 61.0);
  EXPECT_EQ(snapshot.gpus[0].power_watts, 312.5);
  ASSERT_EQ(snapshot.memory.size(), 1u);
  EXPECT_EQ(snapshot.memory[0].device, "cuda:0");
  EXPECT_EQ(snapshot.memory[0].part_bytes.at("weights"), 16'000'000'000.0);
  EXPECT_EQ(snapshot.memory[0].part_bytes.at("free"), 1'000'000.0);
  EXPECT_EQ(snapshot.memory[0].part_bytes.at("kv_cache"), 0.0);
}

TEST(MetricsSnapshot, ACpuServerHasNoGpus) {
  serve::ServerMetrics metrics("tiny", 4096);
  const MetricsSnapshot snapshot = snapshot_of(metrics);
  EXPECT_TRUE(snapshot.gpus.empty());
  EXPECT_EQ(snapshot.num_requests_running, 0.0);
  EXPECT_EQ(snapshot.time_to_first_token.count, 0.0);
  EXPECT_FALSE(snapshot.time_to_first_token.empty());
}

}  // namespace
}  // namespace fovea::monitor
