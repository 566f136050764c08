// A small Prometheus registry: counters, gauges and histograms with labels, updated lock-free from many threads
// (atomics) and rendered in the text exposition format 0.0.4 the way prometheus_client (vLLM's library) writes
// it: "# HELP"/"# TYPE" lines, counters with the "_total" suffix, histograms as cumulative "_bucket{le=...}" lines
// ending in le="+Inf", then "_count" and "_sum", numbers in Go's float style ("1.0", "+Inf").
// Must not contain the server's metric set (server_metrics.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::serve {

class Counter {
 public:
  void inc(double amount = 1.0);  // amount must be >= 0 (negative amounts are ignored: counters only go up)
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& upper_bounds);  // sorted, finite; +Inf is implicit

  void observe(double value);  // NaN is ignored

  struct Snapshot {
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf (== count)
    double sum = 0.0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double>& upper_bounds_;                 // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;  // [num_bounds + 1], not cumulative
  std::atomic<double> sum_{0.0};
};

// Formats a sample value or an le bound as prometheus_client does (Python repr, Go's exponent rule, "+Inf").
std::string format_prometheus_number(double value);
// Escapes a label value (\\, \", \n) or HELP text (\\, \n).
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);

class MetricFamilyBase {
 public:
  MetricFamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~MetricFamilyBase() = default;
  MetricFamilyBase(const MetricFamilyBase&) = delete;
  MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;

  const std::string& name() const { return name_; }
  virtual void render(std::string& out) const = 0;

 protected:
  // `{a="x",b="y"` without the closing brace (callers add le or close it), or "" for no labels.
  std::string label_prefix(const std::vector<std::string>& values) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// A metric with one child per distinct label-value tuple. Children are created on first use and live as long as
// the family, so callers keep references to them on hot paths.
template <typename Metric>
class MetricFamily : public MetricFamilyBase {
 public:
  using MetricFamilyBase::MetricFamilyBase;

  // The child for these label values, one per label name (checked: a mismatch is a bug in fovea).
  Metric& labels(const std::vector<std::string>& values);

 protected:
  virtual std::unique_ptr<Metric> make_child() const = 0;

  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class CounterFamily : public MetricFamily<Counter> {
 public:
  using MetricFamily<Counter>::MetricFamily;
  void render(std::string& out) const override;

 protected:
  std::unique_ptr<Counter> make_child() const override { return std::make_unique<Counter>(); }
};

class GaugeFamily : public MetricFamily<Gauge> {
 public:
  using MetricFamily<Gauge>::MetricFamily;
  void render(std::string& out) const override;

 protected:
  std::unique_ptr<Gauge> make_child() const override { return std::make_unique<Gauge>(); }
};

class HistogramFamily : public MetricFamily<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> upper_bounds);
  void render(std::string& out) const override;

 protected:
  std::unique_ptr<Histogram> make_child() const override { return std::make_unique<Histogram>(upper_bounds_); }

 private:
  std::vector<double> upper_bounds_;
};

class MetricsRegistry {
 public:
  // Names must be valid Prometheus names and unique (a bug in fovea otherwise). A family without labels gets its
  // single child at once, so it renders as 0 before the first update, as prometheus_client does.
  CounterFamily& add_counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& add_gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& add_histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds);

  // The text exposition format 0.0.4 of every family, in registration order.
  std::string render() const;

 private:
  void check_new_name(const std::string& name, const std::vector<std::string>& label_names) const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MetricFamilyBase>> families_;
};

}  // namespace fovea::serve
