// `--sweep NAME=V1,V2,...`: which run setting varies across the runs of one bench invocation. The comparisons
// users script by hand: image-size, images-per-request, concurrency, request-rate, input-len, output-len, and
// modality (text versus image prompts at equal prompt token counts). Must not contain running the runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::bench {

enum class SweepParameter {
  kImageSize,
  kImagesPerRequest,
  kConcurrency,
  kRequestRate,
  kInputLen,
  kOutputLen,
  kModality,
};

struct SweepSpec {
  SweepParameter parameter = SweepParameter::kConcurrency;
  std::string name;                 // as written: "image-size"
  std::vector<std::string> values;  // as written, validated for the parameter
};

// Errors name the valid parameter names or the bad value.
base::Result<SweepSpec> parse_sweep_spec(std::string_view text);

}  // namespace fovea::bench
