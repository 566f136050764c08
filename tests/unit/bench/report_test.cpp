// The saved-result JSON has vLLM's keys, the table lists failures with their error text, the SVG chart is
// well-formed and escapes what it prints.
#include <gtest/gtest.h>

#include "bench/result_report.h"
#include "bench/svg_chart.h"

namespace fovea::bench {
namespace {

std::vector<RequestRecord> two_records() {
  RequestRecord ok;
  ok.success = true;
  ok.ttft_s = 0.1;
  ok.latency_s = 0.5;
  ok.itl_s = {0.2, 0.2};
  ok.prompt_tokens = 10;
  ok.output_tokens = 3;
  RequestRecord failed;
  failed.error = "HTTP 400: `max_tokens` is too large";
  return {ok, failed};
}

TEST(ResultReport, JsonHasTheKeysOfVllmsSavedResults) {
  const std::vector<RequestRecord> records = two_records();
  RunInfo info;
  info.request_rate = INFINITY;
  info.percentile_metrics = {"ttft", "tpot", "itl", "e2el"};
  const nlohmann::ordered_json json = result_json(compute_metrics(records, 1.0, {50.0, 99.0, 99.9}), records, info);
  // vllm/benchmarks/serve.py: the result dict of benchmark() and the fields main() adds.
  for (const char* key : {"date",
                          "endpoint_type",
                          "backend",
                          "label",
                          "model_id",
                          "tokenizer_id",
                          "num_prompts",
                          "request_rate",
                          "burstiness",
                          "max_concurrency",
                          "duration",
                          "completed",
                          "failed",
                          "total_input_tokens",
                          "total_output_tokens",
                          "request_throughput",
                          "request_goodput",
                          "output_throughput",
                          "total_token_throughput",
                          "input_lens",
                          "output_lens",
                          "ttfts",
                          "itls",
                          "generated_texts",
                          "errors",
                          "max_output_tokens_per_s",
                          "max_concurrent_requests",
                          "mean_ttft_ms",
                          "median_ttft_ms",
                          "std_ttft_ms",
                          "p50_ttft_ms",
                          "p99_ttft_ms",
                          "p99.9_ttft_ms",
                          "mean_tpot_ms",
                          "median_tpot_ms",
                          "p99_tpot_ms",
                          "mean_itl_ms",
                          "median_itl_ms",
                          "p99_itl_ms",
                          "mean_e2el_ms",
                          "median_e2el_ms",
                          "p99_e2el_ms"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["request_rate"], "inf");
  EXPECT_EQ(json["completed"], 1);
  EXPECT_EQ(json["failed"], 1);
  EXPECT_EQ(json["errors"][1], "HTTP 400: `max_tokens` is too large");
  EXPECT_NEAR(json["mean_tpot_ms"].get<double>(), 200.0, 1e-9);
}

TEST(ResultReport, TableShowsTheNumbersAndTheFailures) {
  const std::vector<RequestRecord> records = two_records();
  RunInfo info;
  info.request_rate = 2.0;
  info.max_concurrency = 4;
  const std::string table = result_table(compute_metrics(records, 1.0, {99.0}), records, info);
  EXPECT_NE(table.find("Successful requests:"), std::string::npos);
  EXPECT_NE(table.find("Maximum request concurrency:"), std::string::npos);
  EXPECT_NE(table.find("P99 TTFT (ms):"), std::string::npos);
  EXPECT_NE(table.find("Error (request 1): HTTP 400"), std::string::npos);
  EXPECT_EQ(percentile_word(99.0), "99");
  EXPECT_EQ(percentile_word(99.9), "99.9");
}

TEST(SvgChart, IsOneSvgDocumentWithAPanelPerMetric) {
  ChartSpec spec;
  spec.title = "sweep of <image-size>";
  spec.x_label = "image-size";
  spec.x_values = {"256x256", "512x512", "1280x720"};
  spec.panels = {{"mean_ttft_ms", {12.0, 30.5, 95.0}}, {"request_throughput", {4.0, NAN, 1.0}}};
  const std::string svg = render_line_chart_svg(spec);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_NE(svg.find("sweep of &lt;image-size&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<image-size>"), std::string::npos);
  size_t num_polylines = 0;
  for (size_t pos = svg.find("<polyline"); pos != std::string::npos; pos = svg.find("<polyline", pos + 1)) {
    ++num_polylines;
  }
  EXPECT_EQ(num_polylines, 2u);
  EXPECT_NE(svg.find("1280x720"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

}  // namespace
}  // namespace fovea::bench
