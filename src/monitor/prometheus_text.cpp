// Prometheus text format 0.0.4 parsing: one line at a time, a cursor over the line, errors with the line number.
// Must not contain the meaning of any metric.
#include "monitor/prometheus_text.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace fovea::monitor {
namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// A cursor over one line.
class LineReader {
 public:
  explicit LineReader(std::string_view line) : line_(line) {}

  bool done() const { return pos_ >= line_.size(); }
  char peek() const { return done() ? '\0' : line_[pos_]; }
  void skip_blanks() {
    while (!done() && is_blank(line_[pos_])) ++pos_;
  }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // A metric or label name; empty when none starts here. Label names take no ':' but accepting it is harmless.
  std::string_view name() {
    const size_t start = pos_;
    if (done() || !is_name_start(line_[pos_])) return {};
    while (!done() && is_name_char(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  // The text up to the next blank or the end.
  std::string_view token() {
    const size_t start = pos_;
    while (!done() && !is_blank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  // A quoted label value after its opening quote, unescaped (\\, \", \n); false when the line ends first.
  bool quoted(std::string& out) {
    while (!done()) {
      const char c = line_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (done()) return false;
      const char escaped = line_[pos_++];
      out += escaped == 'n' ? '\n' : escaped;
    }
    return false;
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

bool parse_number(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf" || text == "+inf" || text == "inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf" || text == "-inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN" || text == "nan") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

base::Status line_error(size_t line_idx, std::string_view what) {
  return base::invalid_argument("line {} of the metrics text: {}; is the URL a fovea or vLLM /metrics endpoint?",
                                line_idx + 1, what);
}

base::Status parse_comment(std::string_view line, PrometheusText& out) {
  LineReader reader(line.substr(1));
  reader.skip_blanks();
  if (reader.token() != "TYPE") return base::Status();
  reader.skip_blanks();
  const std::string_view name = reader.name();
  reader.skip_blanks();
  const std::string_view type = reader.token();
  if (!name.empty() && !type.empty()) out.types.emplace_back(std::string(name), std::string(type));
  return base::Status();
}

base::Status parse_sample(std::string_view line, size_t line_idx, PrometheusText& out) {
  LineReader reader(line);
  PrometheusSample sample;
  sample.name = std::string(reader.name());
  if (sample.name.empty()) return line_error(line_idx, "a sample must start with a metric name");
  reader.skip_blanks();
  if (reader.consume('{')) {
    while (true) {
      reader.skip_blanks();
      if (reader.consume('}')) break;
      const std::string_view label_name = reader.name();
      if (label_name.empty()) return line_error(line_idx, "expected a label name or '}'");
      reader.skip_blanks();
      if (!reader.consume('=')) return line_error(line_idx, "expected '=' after a label name");
      reader.skip_blanks();
      if (!reader.consume('"')) return line_error(line_idx, "a label value must be quoted");
      std::string value;
      if (!reader.quoted(value)) return line_error(line_idx, "a label value is not closed");
      sample.labels.emplace_back(std::string(label_name), std::move(value));
      reader.skip_blanks();
      if (reader.consume('}')) break;
      if (!reader.consume(',')) return line_error(line_idx, "expected ',' or '}' after a label");
    }
  }
  reader.skip_blanks();
  if (!parse_number(reader.token(), sample.value)) return line_error(line_idx, "the sample value is not a number");
  reader.skip_blanks();
  if (!reader.done()) {
    double timestamp = 0.0;
    if (!parse_number(reader.token(), timestamp)) return line_error(line_idx, "the timestamp is not a number");
    reader.skip_blanks();
    if (!reader.done()) return line_error(line_idx, "unexpected text after the sample");
  }
  if (out.samples.size() >= kMaxPrometheusSamples) {
    return line_error(line_idx, fmt::format("more than {} samples", kMaxPrometheusSamples));
  }
  out.samples.push_back(std::move(sample));
  return base::Status();
}

}  // namespace

std::string_view PrometheusSample::label(std::string_view label_name) const {
  for (const auto& [key, value] : labels) {
    if (key == label_name) return value;
  }
  return {};
}

base::Result<PrometheusText> parse_prometheus_text(std::string_view text) {
  if (text.size() > kMaxPrometheusTextBytes) {
    return base::invalid_argument("the metrics text is {} bytes, more than the {} a scrape may have", text.size(),
                                  kMaxPrometheusTextBytes);
  }
  PrometheusText out;
  size_t line_idx = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && is_blank(line[first])) ++first;
    line.remove_prefix(first);
    if (!line.empty()) {
      FOVEA_RETURN_IF_ERROR(line.front() == '#' ? parse_comment(line, out) : parse_sample(line, line_idx, out));
    }
    ++line_idx;
  }
  return out;
}

}  // namespace fovea::monitor
