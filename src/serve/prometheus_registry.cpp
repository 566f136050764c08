// Prometheus metrics: atomic updates and the text exposition format 0.0.4.
// Must not contain the server's metric set.
#include "serve/prometheus_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "base/check.h"

namespace fovea::serve {
namespace {

bool is_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t idx = 0; idx < name.size(); ++idx) {
    const char c = name[idx];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':' ||
                    (idx > 0 && std::isdigit(static_cast<unsigned char>(c)) != 0);
    if (!ok) return false;
  }
  return true;
}

bool is_label_name(std::string_view name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t idx = 0; idx < name.size(); ++idx) {
    const char c = name[idx];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' ||
                    (idx > 0 && std::isdigit(static_cast<unsigned char>(c)) != 0);
    if (!ok) return false;
  }
  return true;
}

// Python's repr(float): shortest round-trip digits, scientific below 1e-4 and from 1e16, ".0" on integers.
std::string python_float_repr(double value) {
  const double magnitude = std::fabs(value);
  char buffer[64];
  std::to_chars_result result{};
  const bool scientific = magnitude != 0.0 && (magnitude < 1e-4 || magnitude >= 1e16);
  result = std::to_chars(buffer, buffer + sizeof(buffer), value,
                         scientific ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buffer, result.ptr);
  if (!scientific && text.find('.') == std::string::npos) text += ".0";
  return text;
}

void append_sample(std::string& out, std::string_view name, std::string_view label_prefix, double value) {
  out += name;
  if (!label_prefix.empty()) {
    out += label_prefix;
    out += '}';
  }
  out += ' ';
  out += format_prometheus_number(value);
  out += '\n';
}

void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

}  // namespace

void Counter::inc(double amount) {
  if (!(amount >= 0.0)) return;
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& upper_bounds)
    : upper_bounds_(upper_bounds), bucket_counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  for (size_t idx = 0; idx <= upper_bounds_.size(); ++idx) bucket_counts_[idx].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // The first bound >= value (Prometheus buckets are "less than or equal"); past the end is +Inf.
  const size_t bucket_idx =
      static_cast<size_t>(std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  bucket_counts_[bucket_idx].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative_counts.resize(upper_bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t idx = 0; idx <= upper_bounds_.size(); ++idx) {
    running += bucket_counts_[idx].load(std::memory_order_relaxed);
    snapshot.cumulative_counts[idx] = running;
  }
  // _count is the +Inf bucket, so the two always agree even while other threads observe.
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::string format_prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::string text = python_float_repr(value);
  // prometheus_client's floatToGoString: Go switches to exponents sooner than Python for large positive values.
  const size_t dot = text.find('.');
  if (value > 0 && dot != std::string::npos && dot > 6 && text.find('e') == std::string::npos) {
    std::string mantissa = fmt::format("{}.{}{}", text[0], text.substr(1, dot - 1), text.substr(dot + 1));
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) mantissa.pop_back();
    return fmt::format("{}e+0{}", mantissa, dot - 1);
  }
  return text;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

std::string MetricFamilyBase::label_prefix(const std::vector<std::string>& values) const {
  if (label_names_.empty()) return {};
  std::string out = "{";
  for (size_t idx = 0; idx < label_names_.size(); ++idx) {
    if (idx > 0) out += ',';
    out += fmt::format("{}=\"{}\"", label_names_[idx], escape_label_value(values[idx]));
  }
  return out;
}

template <typename Metric>
Metric& MetricFamily<Metric>::labels(const std::vector<std::string>& values) {
  FOVEA_CHECK(values.size() == label_names_.size(), "metric {} takes {} label values, got {}", name_,
              label_names_.size(), values.size());
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<Metric>& child = children_[values];
  if (!child) child = make_child();
  return *child;
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

void CounterFamily::render(std::string& out) const {
  // prometheus_client names a counter's samples (and its HELP/TYPE lines) with the "_total" suffix.
  const std::string sample_name = name_.ends_with("_total") ? name_ : name_ + "_total";
  append_header(out, sample_name, help_, "counter");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, counter] : children_)
    append_sample(out, sample_name, label_prefix(values), counter->value());
}

void GaugeFamily::render(std::string& out) const {
  append_header(out, name_, help_, "gauge");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, gauge] : children_) append_sample(out, name_, label_prefix(values), gauge->value());
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds)
    : MetricFamily<Histogram>(std::move(name), std::move(help), std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  FOVEA_CHECK(std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()), "histogram {} bounds must be sorted", name_);
  FOVEA_CHECK(
      std::all_of(upper_bounds_.begin(), upper_bounds_.end(), [](double bound) { return std::isfinite(bound); }),
      "histogram {} bounds must be finite", name_);
}

void HistogramFamily::render(std::string& out) const {
  append_header(out, name_, help_, "histogram");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, histogram] : children_) {
    const Histogram::Snapshot snapshot = histogram->snapshot();
    const std::string prefix = label_prefix(values);
    const std::string bucket_prefix = prefix.empty() ? std::string("{") : prefix + ",";
    for (size_t idx = 0; idx <= upper_bounds_.size(); ++idx) {
      const std::string bound =
          idx < upper_bounds_.size() ? format_prometheus_number(upper_bounds_[idx]) : std::string("+Inf");
      out += fmt::format("{}_bucket{}le=\"{}\"}} {}\n", name_, bucket_prefix, bound,
                         format_prometheus_number(static_cast<double>(snapshot.cumulative_counts[idx])));
    }
    append_sample(out, name_ + "_count", prefix, static_cast<double>(snapshot.count));
    append_sample(out, name_ + "_sum", prefix, snapshot.sum);
  }
}

void MetricsRegistry::check_new_name(const std::string& name, const std::vector<std::string>& label_names) const {
  FOVEA_CHECK(is_metric_name(name), "{} is not a valid Prometheus metric name", name);
  for (const std::string& label : label_names) {
    FOVEA_CHECK(is_label_name(label) && label != "le", "{} is not a valid label name for {}", label, name);
  }
  for (const auto& family : families_) FOVEA_CHECK(family->name() != name, "metric {} registered twice", name);
}

CounterFamily& MetricsRegistry::add_counter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_new_name(name, label_names);
  const bool unlabeled = label_names.empty();
  auto family = std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names));
  CounterFamily& ref = *family;
  families_.push_back(std::move(family));
  if (unlabeled) ref.labels({});
  return ref;
}

GaugeFamily& MetricsRegistry::add_gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_new_name(name, label_names);
  const bool unlabeled = label_names.empty();
  auto family = std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names));
  GaugeFamily& ref = *family;
  families_.push_back(std::move(family));
  if (unlabeled) ref.labels({});
  return ref;
}

HistogramFamily& MetricsRegistry::add_histogram(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> upper_bounds) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_new_name(name, label_names);
  const bool unlabeled = label_names.empty();
  auto family = std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(label_names),
                                                  std::move(upper_bounds));
  HistogramFamily& ref = *family;
  families_.push_back(std::move(family));
  if (unlabeled) ref.labels({});
  return ref;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& family : families_) family->render(out);
  return out;
}

}  // namespace fovea::serve
