// The engine step watchdog's limit: EngineConfig::step_timeout_s, else FOVEA_ENGINE_ITERATION_TIMEOUT_S, else vLLM's
// VLLM_ENGINE_ITERATION_TIMEOUT_S, else 60 s; zero or negative turns it off. Must not contain the watchdog itself
// (RankThreads).
#pragma once

#include <chrono>
#include <optional>

#include "base/status.h"

namespace fovea::engine {

// vLLM's default. One step of a healthy server (a full prefill of max_num_batched_tokens, a first decode that
// captures CUDA graphs) takes well under a few seconds, so this only fires on a hang.
constexpr double kDefaultStepTimeoutS = 60.0;

// The limit, or nullopt when off. `fovea_env` / `vllm_env` are the variables' values (nullptr: unset). A value that
// is not a number of seconds is an error naming the variable.
base::Result<std::optional<std::chrono::milliseconds>> step_timeout(std::optional<double> configured_s,
                                                                    const char* fovea_env, const char* vllm_env);

}  // namespace fovea::engine
