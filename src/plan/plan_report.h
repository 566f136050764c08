// Renders a MemoryPlan for people (aligned table, GiB with 2 decimals) and for programs (JSON with at least fits,
// per_gpu[].weights_bytes / kv_cache_bytes / kv_cache_tokens, max_concurrency, suggestions). Must not contain
// planning arithmetic.
#pragma once

#include <string>

#include "plan/memory_plan.h"

namespace fovea::plan {

// The JSON document `fovea plan --json` prints (pretty-printed, two spaces).
std::string plan_to_json(const MemoryPlan& plan);

// The human-readable report `fovea plan` prints.
std::string plan_to_table(const MemoryPlan& plan);

// The GPU catalogue as a table (`fovea plan --list-gpus`).
std::string gpu_catalog_table();

}  // namespace fovea::plan
