// Prometheus metrics: the text exposition format 0.0.4 checked by a strict parser written here, concurrent
// updates, and the server's metric set (vLLM's names).
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>

#include "serve/server_metrics.h"

namespace fovea::serve {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0.0;
};

struct Family {
  std::string name;
  std::string type;
  std::string help;
  std::vector<Sample> samples;
};

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

double parse_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) throw std::runtime_error("bad value " + text);
  return value;
}

Sample parse_sample(const std::string& line) {
  Sample sample;
  size_t pos = 0;
  while (pos < line.size() && is_name_char(line[pos], pos == 0)) ++pos;
  sample.name = line.substr(0, pos);
  if (sample.name.empty()) throw std::runtime_error("no metric name: " + line);
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    while (line.at(pos) != '}') {
      const size_t equals = line.find('=', pos);
      const std::string label = line.substr(pos, equals - pos);
      if (line.at(equals + 1) != '"') throw std::runtime_error("unquoted label value: " + line);
      pos = equals + 2;
      std::string value;
      while (line.at(pos) != '"') {
        if (line[pos] == '\\') {
          const char escaped = line.at(pos + 1);
          if (escaped == 'n') {
            value += '\n';
          } else if (escaped == '\\' || escaped == '"') {
            value += escaped;
          } else {
            throw std::runtime_error("bad escape: " + line);
          }
          pos += 2;
        } else {
          value += line[pos++];
        }
      }
      ++pos;
      if (!sample.labels.emplace(label, value).second) throw std::runtime_error("duplicate label: " + line);
      if (line.at(pos) == ',') ++pos;
    }
    ++pos;
  }
  if (line.at(pos) != ' ') throw std::runtime_error("no space before value: " + line);
  sample.value = parse_value(line.substr(pos + 1));
  return sample;
}

// Parses exposition text and checks the rules of format 0.0.4 that prometheus_client follows.
std::vector<Family> parse_exposition(const std::string& text) {
  std::vector<Family> families;
  std::istringstream stream(text);
  std::string line;
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("text must end with a newline");
  while (std::getline(stream, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      Family family;
      const size_t space = line.find(' ', 7);
      family.name = line.substr(7, space - 7);
      family.help = line.substr(space + 1);
      families.push_back(family);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      if (families.empty()) throw std::runtime_error("TYPE before HELP");
      const size_t space = line.find(' ', 7);
      if (line.substr(7, space - 7) != families.back().name) throw std::runtime_error("TYPE name differs: " + line);
      families.back().type = line.substr(space + 1);
    } else {
      if (families.empty() || families.back().type.empty()) throw std::runtime_error("sample before TYPE: " + line);
      families.back().samples.push_back(parse_sample(line));
    }
  }
  for (const Family& family : families) {
    const std::string& name = family.name;
    if (family.type == "counter") {
      if (!name.ends_with("_total")) throw std::runtime_error("counter without _total: " + name);
      for (const Sample& sample : family.samples) {
        if (sample.name != name || sample.value < 0) throw std::runtime_error("bad counter sample " + sample.name);
      }
    } else if (family.type == "gauge") {
      for (const Sample& sample : family.samples) {
        if (sample.name != name) throw std::runtime_error("bad gauge sample " + sample.name);
      }
    } else if (family.type == "histogram") {
      // Group by labels without le; buckets cumulative, +Inf last and equal to _count; _sum present.
      std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
      std::map<std::map<std::string, std::string>, double> counts;
      std::map<std::map<std::string, std::string>, int> sums;
      for (const Sample& sample : family.samples) {
        std::map<std::string, std::string> labels = sample.labels;
        if (sample.name == name + "_bucket") {
          const double bound = parse_value(labels.at("le"));
          labels.erase("le");
          buckets[labels].emplace_back(bound, sample.value);
        } else if (sample.name == name + "_count") {
          counts[labels] = sample.value;
        } else if (sample.name == name + "_sum") {
          ++sums[labels];
        } else {
          throw std::runtime_error("bad histogram sample " + sample.name);
        }
      }
      for (const auto& [labels, series] : buckets) {
        for (size_t idx = 1; idx < series.size(); ++idx) {
          if (!(series[idx].first > series[idx - 1].first)) throw std::runtime_error("le not increasing in " + name);
          if (series[idx].second < series[idx - 1].second) throw std::runtime_error("buckets not cumulative " + name);
        }
        if (!std::isinf(series.back().first)) throw std::runtime_error("no +Inf bucket in " + name);
        if (counts.at(labels) != series.back().second) throw std::runtime_error("_count != +Inf in " + name);
        if (sums.at(labels) != 1) throw std::runtime_error("_sum missing in " + name);
      }
    } else {
      throw std::runtime_error("unknown type " + family.type);
    }
  }
  return families;
}

const Family* find_family(const std::vector<Family>& families, const std::string& name) {
  for (const Family& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(PrometheusTest, ExactTextOfASmallRegistry) {
  MetricsRegistry registry;
  Counter& counter =
      registry.add_counter("demo:requests", "Requests \\ with \"help\"\nline two", {"route"}).labels({"/v1/\"x\"\n"});
  counter.inc(3);
  counter.inc(-1);  // ignored: counters only go up
  registry.add_gauge("demo:usage", "Usage.").labels({}).set(0.25);
  Histogram& histogram = registry.add_histogram("demo:latency_seconds", "Latency.", {}, {0.3, 1.0, 2560.0}).labels({});
  histogram.observe(0.3);
  histogram.observe(0.5);
  histogram.observe(5000.0);
  histogram.observe(NAN);
  EXPECT_EQ(registry.render(),
            "# HELP demo:requests_total Requests \\\\ with \"help\"\\nline two\n"
            "# TYPE demo:requests_total counter\n"
            "demo:requests_total{route=\"/v1/\\\"x\\\"\\n\"} 3.0\n"
            "# HELP demo:usage Usage.\n"
            "# TYPE demo:usage gauge\n"
            "demo:usage 0.25\n"
            "# HELP demo:latency_seconds Latency.\n"
            "# TYPE demo:latency_seconds histogram\n"
            "demo:latency_seconds_bucket{le=\"0.3\"} 1.0\n"
            "demo:latency_seconds_bucket{le=\"1.0\"} 2.0\n"
            "demo:latency_seconds_bucket{le=\"2560.0\"} 2.0\n"
            "demo:latency_seconds_bucket{le=\"+Inf\"} 3.0\n"
            "demo:latency_seconds_count 3.0\n"
            "demo:latency_seconds_sum 5000.8\n");
}

TEST(PrometheusTest, NumberFormatFollowsPrometheusClient) {
  EXPECT_EQ(format_prometheus_number(0.0), "0.0");
  EXPECT_EQ(format_prometheus_number(1.0), "1.0");
  EXPECT_EQ(format_prometheus_number(0.001), "0.001");
  EXPECT_EQ(format_prometheus_number(2560.0), "2560.0");
  EXPECT_EQ(format_prometheus_number(-3.5), "-3.5");
  EXPECT_EQ(format_prometheus_number(1e-05), "1e-05");
  EXPECT_EQ(format_prometheus_number(1000000.0), "1e+06");
  EXPECT_EQ(format_prometheus_number(2000000.0), "2e+06");
  EXPECT_EQ(format_prometheus_number(1500000.0), "1.5e+06");
  EXPECT_EQ(format_prometheus_number(1e16), "1e+16");
  EXPECT_EQ(format_prometheus_number(INFINITY), "+Inf");
  EXPECT_EQ(format_prometheus_number(-INFINITY), "-Inf");
  EXPECT_EQ(format_prometheus_number(NAN), "NaN");
}

TEST(PrometheusTest, ConcurrentUpdatesAreExact) {
  MetricsRegistry registry;
  Counter& counter = registry.add_counter("c", "c").labels({});
  Gauge& gauge = registry.add_gauge("g", "g").labels({});
  HistogramFamily& family = registry.add_histogram("h", "h", {"worker"}, {1.0, 10.0});
  constexpr int kThreads = 8;
  constexpr int kUpdates = 20000;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      Histogram& histogram = family.labels({std::to_string(thread_idx % 2)});
      for (int update_idx = 0; update_idx < kUpdates; ++update_idx) {
        counter.inc();
        gauge.inc();
        gauge.dec(0.5);
        histogram.observe(update_idx % 3 == 0 ? 0.5 : 5.0);
      }
    });
  }
  // Rendering while others update must always give well-formed text.
  for (int render_idx = 0; render_idx < 20; ++render_idx) EXPECT_NO_THROW(parse_exposition(registry.render()));
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), kThreads * kUpdates);
  EXPECT_EQ(gauge.value(), kThreads * kUpdates * 0.5);
  const Histogram::Snapshot snapshot = family.labels({"0"}).snapshot();
  EXPECT_EQ(snapshot.count, static_cast<uint64_t>(kThreads / 2 * kUpdates));
  EXPECT_EQ(snapshot.cumulative_counts[0], static_cast<uint64_t>(kThreads / 2 * ((kUpdates + 2) / 3)));
}

TEST(ServerMetricsTest, VllmNamesAndWellFormedText) {
  ServerMetrics metrics("qwen3-vl", 131072);
  metrics.num_requests_running.set(2);
  metrics.kv_cache_usage_perc.set(0.5);
  metrics.prompt_tokens.inc(120);
  metrics.generation_tokens.inc(30);
  metrics.request_success("stop").inc();
  metrics.time_to_first_token_seconds.observe(0.2);
  metrics.request_prompt_tokens.observe(120);
  metrics.iteration_tokens.observe(64);
  metrics.encoder_cache_hits.inc();
  metrics.admission_rejections("max_queue_len").inc();
  metrics.http_requests("/v1/chat/completions", 200).inc();
  const std::string text = metrics.render();
  std::vector<Family> families;
  ASSERT_NO_THROW(families = parse_exposition(text)) << text;
  for (const char* name :
       {"vllm:num_requests_running",        "vllm:num_requests_waiting",        "vllm:kv_cache_usage_perc",
        "vllm:prefix_cache_queries_total",  "vllm:prefix_cache_hits_total",     "vllm:num_preemptions_total",
        "vllm:prompt_tokens_total",         "vllm:generation_tokens_total",     "vllm:request_success_total",
        "vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds", "vllm:e2e_request_latency_seconds",
        "vllm:request_queue_time_seconds",  "vllm:request_prompt_tokens",       "vllm:request_generation_tokens",
        "vllm:iteration_tokens_total",      "vllm:admission_rejections_total",  "fovea:encoder_cache_queries_total",
        "fovea:encoder_cache_hits_total",   "fovea:vision_encoder_seconds",     "fovea:http_requests_total"}) {
    EXPECT_NE(find_family(families, name), nullptr) << name;
  }
  const Family* running = find_family(families, "vllm:num_requests_running");
  ASSERT_EQ(running->samples.size(), 1u);
  EXPECT_EQ(running->samples[0].labels.at("model_name"), "qwen3-vl");
  EXPECT_EQ(running->samples[0].labels.at("engine"), "0");
  EXPECT_EQ(running->samples[0].value, 2.0);
  EXPECT_EQ(find_family(families, "vllm:request_success_total")->samples.size(), 4u);  // stop, length, abort, error
  // vllm:iteration_tokens_total is a histogram (its name already ends in _total, as in vLLM).
  EXPECT_EQ(find_family(families, "vllm:iteration_tokens_total")->type, "histogram");
  EXPECT_NE(text.find("vllm:request_prompt_tokens_bucket{model_name=\"qwen3-vl\",engine=\"0\",le=\"100000.0\"} 1.0"),
            std::string::npos);
}

TEST(ServerMetricsTest, OneTwoFiveBuckets) {
  EXPECT_EQ(one_two_five_buckets(100), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(one_two_five_buckets(131072).back(), 100000.0);
  EXPECT_TRUE(one_two_five_buckets(0).empty());
  EXPECT_EQ(one_two_five_buckets(1), (std::vector<double>{1}));
}

}  // namespace
}  // namespace fovea::serve
