// Parsing and validating --sweep. Must not contain running the runs.
#include "bench/sweep_spec.h"

#include <charconv>
#include <cmath>
#include <string>

#include "bench/synthetic_image.h"

namespace fovea::bench {
namespace {

struct ParameterName {
  std::string_view name;
  SweepParameter parameter;
};

constexpr ParameterName kParameters[] = {
    {"image-size", SweepParameter::kImageSize},     {"images-per-request", SweepParameter::kImagesPerRequest},
    {"concurrency", SweepParameter::kConcurrency},  {"max-concurrency", SweepParameter::kConcurrency},
    {"request-rate", SweepParameter::kRequestRate}, {"input-len", SweepParameter::kInputLen},
    {"output-len", SweepParameter::kOutputLen},     {"modality", SweepParameter::kModality},
};

bool is_positive_int(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 1;
}

bool is_positive_rate(std::string_view text) {
  if (text == "inf") return true;
  try {
    size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    return used == text.size() && std::isfinite(value) && value > 0.0;
  } catch (const std::exception&) {
    return false;
  }
}

base::Status check_value(SweepParameter parameter, std::string_view name, std::string_view value) {
  switch (parameter) {
    case SweepParameter::kImageSize:
      return parse_image_size(value).status();
    case SweepParameter::kImagesPerRequest:
    case SweepParameter::kConcurrency:
    case SweepParameter::kInputLen:
    case SweepParameter::kOutputLen:
      if (is_positive_int(value)) return base::Status::ok_status();
      return base::invalid_argument("--sweep {}: '{}' is not a positive integer", name, value);
    case SweepParameter::kRequestRate:
      if (is_positive_rate(value)) return base::Status::ok_status();
      return base::invalid_argument("--sweep {}: '{}' is not a positive number of requests/s or inf", name, value);
    case SweepParameter::kModality:
      if (value == "text" || value == "image") return base::Status::ok_status();
      return base::invalid_argument("--sweep modality: '{}' is not text or image", value);
  }
  return base::Status::ok_status();
}

}  // namespace

base::Result<SweepSpec> parse_sweep_spec(std::string_view text) {
  const size_t equals = text.find('=');
  const std::string_view name = text.substr(0, equals);
  SweepSpec spec;
  bool known = false;
  for (const ParameterName& candidate : kParameters) {
    if (candidate.name == name) {
      spec.parameter = candidate.parameter;
      known = true;
    }
  }
  if (!known) {
    return base::invalid_argument(
        "--sweep '{}' does not name a parameter; use NAME=V1,V2 with NAME one of: image-size, images-per-request, "
        "concurrency, request-rate, input-len, output-len, modality",
        name);
  }
  if (equals == std::string_view::npos || equals + 1 == text.size()) {
    return base::invalid_argument("--sweep {} has no values; write {}=V1,V2,...", name, name);
  }
  spec.name = std::string(name);
  std::string_view rest = text.substr(equals + 1);
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view value = rest.substr(0, comma);
    FOVEA_RETURN_IF_ERROR(check_value(spec.parameter, name, value));
    spec.values.emplace_back(value);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return spec;
}

}  // namespace fovea::bench
