// WeightBudget: the bytes of a model's weights per component, for the whole checkpoint and for one tensor-parallel
// rank as vLLM shards them (column/row-parallel Linears split by tp, vocab-parallel embedding and lm_head split,
// norms replicated, KV heads split or replicated, the vision tower sharded or replicated per --mm-encoder-tp-mode).
// Must not contain activation, KV-cache or overhead estimates.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "io/parameter_census.h"
#include "plan/model_layout.h"
#include "plan/plan_options.h"
#include "plan/weight_format_rules.h"

namespace fovea::plan {

struct ComponentBytes {
  std::array<uint64_t, io::kNumModelComponents> bytes{};

  uint64_t& operator[](io::ModelComponent component) { return bytes[static_cast<size_t>(component)]; }
  uint64_t operator[](io::ModelComponent component) const { return bytes[static_cast<size_t>(component)]; }
  uint64_t total() const;
};

struct WeightBudget {
  ComponentBytes checkpoint;  // every tensor of the checkpoint, as the files hold them
  ComponentBytes per_gpu;     // what one tensor-parallel rank holds (all ranks hold the same amount)
};

// An error when tp cannot shard the model: heads or widths not divisible, a quantized shard vLLM would refuse.
base::Result<WeightBudget> weight_budget(const std::vector<ModuleSpec>& modules, const WeightFormatRules& rules,
                                         int64_t tensor_parallel_size, EncoderTpMode encoder_tp_mode);

}  // namespace fovea::plan
