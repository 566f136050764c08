// parse_prometheus_text against prometheus_client's parser on the same bytes (fovea's /metrics and the format's
// corner cases), and its errors on malformed lines.
#include "monitor/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fovea::monitor {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/unit/monitor/data/";

void expect_same_as_prometheus_client(const std::string& stem) {
  base::Result<PrometheusText> parsed = parse_prometheus_text(read_file(kDataDir + stem + ".prom"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const nlohmann::json expected = nlohmann::json::parse(read_file(kDataDir + stem + ".expected.json"));
  ASSERT_EQ(parsed->samples.size(), expected.size());
  for (size_t idx = 0; idx < expected.size(); ++idx) {
    const PrometheusSample& sample = parsed->samples[idx];
    const nlohmann::json& want = expected[idx];
    EXPECT_EQ(sample.name, want[0].get<std::string>()) << idx;
    std::map<std::string, std::string> labels(sample.labels.begin(), sample.labels.end());
    const auto want_labels = want[1].get<std::map<std::string, std::string>>();
    EXPECT_EQ(labels, want_labels) << sample.name;
    const nlohmann::json& value = want[2];
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      if (text == "NaN") {
        EXPECT_TRUE(std::isnan(sample.value)) << sample.name;
      } else {
        EXPECT_TRUE(std::isinf(sample.value) && (sample.value > 0) == (text == "+Inf")) << sample.name;
      }
    } else {
      EXPECT_DOUBLE_EQ(sample.value, value.get<double>()) << sample.name;
    }
  }
}

TEST(PrometheusText, FoveaMetricsParseAsPrometheusClientDoes) { expect_same_as_prometheus_client("server_metrics"); }

TEST(PrometheusText, CornerCasesParseAsPrometheusClientDoes) { expect_same_as_prometheus_client("edge_cases"); }

TEST(PrometheusText, TypeLinesAreKept) {
  base::Result<PrometheusText> parsed = parse_prometheus_text(read_file(kDataDir + "edge_cases.prom"));
  ASSERT_TRUE(parsed.ok());
  ASSERT_FALSE(parsed->types.empty());
  EXPECT_EQ(parsed->types.front().first, "fovea:gpu_memory_used_bytes");
  EXPECT_EQ(parsed->types.front().second, "gauge");
}

TEST(PrometheusText, MalformedLinesAreErrorsNamingTheLine) {
  for (const char* text : {"metric{a=\"b\" 1\n", "metric{a=b} 1\n", "metric{a=\"b} 1\n", "metric one\n",
                           "{a=\"b\"} 1\n", "metric 1 2 3\n", "metric{=\"x\"} 1\n", "metric\n"}) {
    base::Result<PrometheusText> parsed = parse_prometheus_text(std::string("ok 1\n") + text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find("line 2"), std::string::npos) << parsed.status().message();
  }
}

TEST(PrometheusText, EmptyTextHasNoSamples) {
  base::Result<PrometheusText> parsed = parse_prometheus_text("");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->samples.empty());
}

}  // namespace
}  // namespace fovea::monitor
