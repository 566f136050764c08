// Suggestions for a plan that does not fit: each a concrete change (a shorter max-model-len, an FP8 KV cache, a
// 4-bit checkpoint, more GPUs, a smaller batch, a higher memory fraction, smaller or fewer images) with the numbers
// of the plan it gives, found by planning again with the change. Must not contain memory arithmetic of its own.
#pragma once

#include <vector>

#include "base/status.h"
#include "plan/memory_plan.h"

namespace fovea::plan {

// The changes worth proposing for `plan` (empty when it fits), most direct first.
std::vector<Suggestion> suggest_changes(const PlanInputs& inputs, const MemoryPlan& plan);

// compute_memory_plan, plus suggestions when the plan does not fit: what `fovea plan` prints.
base::Result<MemoryPlan> plan_memory(const PlanInputs& inputs);

}  // namespace fovea::plan
