// The top screen names every field the issue lists and fits the width; the JSON carries the snapshot's values.
#include "monitor/top_view.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace fovea::monitor {
namespace {

TopFrame sample_frame() {
  TopFrame frame;
  frame.url = "http://127.0.0.1:8000";
  frame.clock = "12:00:00";
  frame.latest.model_name = "tiny";
  frame.latest.num_requests_running = 3;
  frame.latest.num_requests_waiting = 1;
  frame.latest.kv_cache_usage_perc = 0.5;
  frame.latest.kv_cache_used_blocks = 10;
  frame.latest.kv_cache_total_blocks = 20;
  GpuSnapshot gpu;
  gpu.gpu = "0";
  gpu.name = "NVIDIA H100 80GB HBM3";
  gpu.memory_used_bytes = 7.0e10;
  gpu.memory_total_bytes = 8.0e10;
  gpu.utilization_ratio = 0.9;
  frame.latest.gpus.push_back(gpu);
  frame.window.window_s = 60.0;
  frame.window.prompt_tokens_per_s = 120.0;
  frame.window.generation_tokens_per_s = 45.5;
  frame.window.time_to_first_token.p50 = 0.25;
  frame.window.prefix_cache_hit_rate = 0.75;
  return frame;
}

TEST(TopView, ScreenHasEveryField) {
  const std::string screen = render_top_screen(sample_frame(), 200);
  for (const char* field : {"running 3", "waiting 1", "in 120.0 tok/s", "out 45.5 tok/s", "TTFT", "250.0 ms", "ITL",
                            "KV cache", "50.0% used", "10 / 20 blocks", "prefix 75.0%", "encoder n/a", "GPU 0",
                            "NVIDIA H100 80GB HBM3", "util 90.0%"}) {
    EXPECT_NE(screen.find(field), std::string::npos) << field << "\n" << screen;
  }
}

TEST(TopView, LinesFitTheWidth) {
  std::istringstream lines(render_top_screen(sample_frame(), 40));
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 40u) << line;
}

TEST(TopView, JsonCarriesTheValues) {
  const nlohmann::json document = nlohmann::json::parse(top_frame_to_json(sample_frame()));
  EXPECT_EQ(document["requests"]["running"], 3.0);
  EXPECT_EQ(document["kv_cache"]["usage"], 0.5);
  EXPECT_EQ(document["kv_cache"]["used_bytes"], nullptr);
  EXPECT_EQ(document["tokens_per_s"]["generation"], 45.5);
  EXPECT_EQ(document["time_to_first_token_s"]["p50"], 0.25);
  EXPECT_EQ(document["time_to_first_token_s"]["p90"], nullptr);
  EXPECT_EQ(document["gpus"][0]["memory_used_bytes"], 7.0e10);
  EXPECT_EQ(document["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(document["prefix_cache_hit_rate"], 0.75);
}

}  // namespace
}  // namespace fovea::monitor
