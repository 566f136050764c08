// ModelLayout: every weight-holding module of a qwen3 / qwen3_vl model as config.json implies it (HF names and
// shapes of spec §1.4 and §2.4), with the way vLLM splits it over tensor-parallel ranks (io::tp_split_of_module).
// Must not contain byte rules of weight formats (weight_format_rules.h) or memory budgets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/model_config.h"
#include "io/parameter_census.h"
#include "io/tensor_parallel_layout.h"

namespace fovea::plan {

// How vLLM places a module on tensor-parallel ranks: io's one rule (io/tensor_parallel_layout.h), which the weight
// loader shares.
using ParallelStyle = io::TpSplit;

struct ModuleSpec {
  std::string name;  // HF module name: "model.language_model.layers.0.self_attn.q_proj", "lm_head"
  io::ModelComponent component = io::ModelComponent::kOther;
  bool is_linear = false;  // a Linear, stored per the weight format; otherwise a plain tensor in the model dtype
  bool in_vision_tower = false;
  ParallelStyle style = ParallelStyle::kReplicated;
  int64_t out_features = 0;   // Linear [out, in]; plain tensor: rows
  int64_t in_features = 1;    // plain tensor: elements per row (1 for a vector)
  int64_t bias_features = 0;  // 0 when there is no bias
  int64_t head_dim = 0;       // kKvHeads: out_features = heads * head_dim
};

// The modules of a dense qwen3 / qwen3_vl model (MoE configs are refused before this). A tied lm_head is absent.
std::vector<ModuleSpec> model_modules(const io::ModelConfig& config);

// vLLM pads vocab-parallel rows to a multiple of this before splitting them (DEFAULT_VOCAB_PADDING_SIZE).
inline constexpr int64_t kVocabPaddingRows = io::kVocabPaddingRows;

}  // namespace fovea::plan
