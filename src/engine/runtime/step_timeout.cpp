// Reading the step watchdog's limit from the engine config or the environment. Must not read anything but the two
// variables' values handed in.
#include "engine/runtime/step_timeout.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace fovea::engine {
namespace {

// A day: far above any step, and far below what milliseconds in int64 hold.
constexpr double kMaxStepTimeoutS = 86400.0;

std::optional<std::chrono::milliseconds> to_limit(double value_s) {
  if (!(value_s > 0.0)) return std::nullopt;
  const double clamped_s = std::min(value_s, kMaxStepTimeoutS);
  return std::chrono::milliseconds(std::max<int64_t>(static_cast<int64_t>(std::llround(clamped_s * 1000.0)), 1));
}

}  // namespace

base::Result<std::optional<std::chrono::milliseconds>> step_timeout(std::optional<double> configured_s,
                                                                    const char* fovea_env, const char* vllm_env) {
  if (configured_s) {
    if (!std::isfinite(*configured_s)) return base::invalid_argument("the engine step timeout must be a finite number");
    return to_limit(*configured_s);
  }
  const char* name = fovea_env != nullptr ? "FOVEA_ENGINE_ITERATION_TIMEOUT_S" : "VLLM_ENGINE_ITERATION_TIMEOUT_S";
  const char* value = fovea_env != nullptr ? fovea_env : vllm_env;
  if (value == nullptr) return to_limit(kDefaultStepTimeoutS);
  const std::string text(value);
  char* end = nullptr;
  const double value_s = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value_s)) {
    return base::invalid_argument(
        "{}='{}' is not a number of seconds; set it to e.g. 60, or to 0 to turn the engine "
        "step watchdog off",
        name, text);
  }
  return to_limit(value_s);
}

}  // namespace fovea::engine
