// The start-up memory summary of `fovea serve`: per device, what the weights, activation workspace, CUDA graphs, KV
// cache and the rest took and what is free, beside what the planner (plan::compute_memory_plan, the same numbers as
// `fovea plan`) predicts for this config on a GPU of that size, with the difference. Also the serve config -> plan
// options mapping `fovea check` shares. Must not contain planning arithmetic (plan/) or measuring (engine/).
#pragma once

#include <string>
#include <vector>

#include "engine/runtime/engine.h"
#include "plan/plan_options.h"
#include "serve/serve_config.h"

namespace fovea::serve {

// The planner's view of a validated serve config (the flags that change memory).
plan::PlanOptions plan_options_from_serve_config(const ServeConfig& config);

// The summary's lines (no trailing newlines): for each of info.memory a header and one row per part, measured,
// planned and difference. A plan that cannot be made (a model folder the planner cannot read) leaves the planned
// column empty and says why in one line. `gpus` adds NVML's reading of the same card.
std::vector<std::string> startup_memory_summary(const ServeConfig& config, const engine::EngineInfo& info,
                                                const std::vector<engine::GpuStatus>& gpus);

}  // namespace fovea::serve
