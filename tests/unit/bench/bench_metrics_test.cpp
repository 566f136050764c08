// compute_metrics against numpy: tools/golden/make_bench_metrics_golden.py computes vLLM's calculate_metrics
// formulas with numpy over seeded random records; fovea must give the same numbers.
#include "bench/bench_metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace fovea::bench {
namespace {

constexpr double kTolerance = 1e-9;

void expect_stats(const LatencyStats& actual, const nlohmann::json& expected, const std::string& name) {
  EXPECT_NEAR(actual.mean_ms, expected["mean_ms"].get<double>(), kTolerance) << name;
  EXPECT_NEAR(actual.median_ms, expected["median_ms"].get<double>(), kTolerance) << name;
  EXPECT_NEAR(actual.std_ms, expected["std_ms"].get<double>(), kTolerance) << name;
  ASSERT_EQ(actual.percentiles_ms.size(), expected["percentiles_ms"].size()) << name;
  for (size_t idx = 0; idx < actual.percentiles_ms.size(); ++idx) {
    EXPECT_DOUBLE_EQ(actual.percentiles_ms[idx].first, expected["percentiles_ms"][idx][0].get<double>());
    EXPECT_NEAR(actual.percentiles_ms[idx].second, expected["percentiles_ms"][idx][1].get<double>(), kTolerance)
        << name << " p" << actual.percentiles_ms[idx].first;
  }
}

TEST(BenchMetrics, MatchVllmDefinitionsComputedWithNumpy) {
  std::ifstream in(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/bench/data/metrics_golden.json");
  ASSERT_TRUE(in) << "run tools/golden/make_bench_metrics_golden.py";
  const nlohmann::json golden = nlohmann::json::parse(in);
  ASSERT_EQ(golden["cases"].size(), 3u);
  for (const nlohmann::json& test_case : golden["cases"]) {
    std::vector<RequestRecord> records;
    for (const nlohmann::json& r : test_case["records"]) {
      RequestRecord record;
      record.success = r["success"];
      record.start_time_s = r["start_time_s"];
      record.ttft_s = r["ttft_s"];
      record.latency_s = r["latency_s"];
      record.itl_s = r["itl_s"].get<std::vector<double>>();
      record.prompt_tokens = r["prompt_tokens"];
      record.output_tokens = r["output_tokens"];
      record.num_images = r["num_images"];
      records.push_back(record);
    }
    const BenchMetrics metrics = compute_metrics(records, test_case["duration_s"].get<double>(),
                                                 test_case["percentiles"].get<std::vector<double>>());
    const nlohmann::json& expected = test_case["expected"];
    EXPECT_EQ(metrics.completed, expected["completed"].get<int64_t>());
    EXPECT_EQ(metrics.failed, expected["failed"].get<int64_t>());
    EXPECT_EQ(metrics.total_input_tokens, expected["total_input_tokens"].get<int64_t>());
    EXPECT_EQ(metrics.total_output_tokens, expected["total_output_tokens"].get<int64_t>());
    EXPECT_EQ(metrics.total_input_images, expected["total_input_images"].get<int64_t>());
    EXPECT_NEAR(metrics.request_throughput, expected["request_throughput"].get<double>(), kTolerance);
    EXPECT_NEAR(metrics.output_throughput, expected["output_throughput"].get<double>(), kTolerance);
    EXPECT_NEAR(metrics.total_token_throughput, expected["total_token_throughput"].get<double>(), kTolerance);
    EXPECT_NEAR(metrics.image_throughput, expected["image_throughput"].get<double>(), kTolerance);
    EXPECT_DOUBLE_EQ(metrics.max_output_tokens_per_s, expected["max_output_tokens_per_s"].get<double>());
    EXPECT_EQ(metrics.max_concurrent_requests, expected["max_concurrent_requests"].get<int64_t>());
    expect_stats(metrics.ttft, expected["ttft"], "ttft");
    expect_stats(metrics.tpot, expected["tpot"], "tpot");
    expect_stats(metrics.itl, expected["itl"], "itl");
    expect_stats(metrics.e2el, expected["e2el"], "e2el");
  }
}

TEST(BenchMetrics, NoSuccessfulRequestGivesZerosNotNaN) {
  RequestRecord failed;
  failed.error = "HTTP 500: boom";
  const BenchMetrics metrics = compute_metrics({failed, failed}, 1.0, {99.0});
  EXPECT_EQ(metrics.completed, 0);
  EXPECT_EQ(metrics.failed, 2);
  EXPECT_EQ(metrics.ttft.mean_ms, 0.0);
  EXPECT_EQ(metrics.ttft.percentiles_ms.at(0).second, 0.0);
  EXPECT_EQ(metrics.max_concurrent_requests, 0);
}

}  // namespace
}  // namespace fovea::bench
