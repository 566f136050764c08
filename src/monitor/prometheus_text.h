// parse_prometheus_text: the Prometheus text exposition format 0.0.4 (what /metrics answers) into samples. The bytes
// come from the network, so every malformed line is an error naming the line, never a crash, and sizes are bounded.
// Must not contain the meaning of any metric (metrics_snapshot.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fovea::monitor {

struct PrometheusSample {
  std::string name;                                         // "vllm:num_requests_running", "..._bucket"
  std::vector<std::pair<std::string, std::string>> labels;  // in the order written, values unescaped
  double value = 0.0;

  // The value of label `label_name`, or "" when the sample has none.
  std::string_view label(std::string_view label_name) const;
};

struct PrometheusText {
  std::vector<PrometheusSample> samples;
  std::vector<std::pair<std::string, std::string>> types;  // "# TYPE name counter" lines: {name, type}
};

// Bounds on what one scrape may hold (a fovea server writes well under a megabyte).
inline constexpr size_t kMaxPrometheusTextBytes = size_t{32} << 20;
inline constexpr size_t kMaxPrometheusSamples = 1'000'000;

// Blank lines, comments and HELP lines are skipped; a sample's optional timestamp is read and dropped.
base::Result<PrometheusText> parse_prometheus_text(std::string_view text);

}  // namespace fovea::monitor
