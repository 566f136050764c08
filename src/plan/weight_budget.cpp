// Per-component weight bytes, whole and per tensor-parallel rank (vLLM's linear.py / vocab_parallel_embedding.py
// partitioning rules).
#include "plan/weight_budget.h"

#include <numeric>

namespace fovea::plan {
namespace {

uint64_t u(int64_t value) { return static_cast<uint64_t>(value); }

// One module's bytes given its (possibly sharded) shape.
uint64_t module_bytes(const ModuleSpec& module, const LinearScheme& scheme, int64_t out_features, int64_t in_features,
                      int64_t bias_features) {
  if (module.is_linear) return linear_bytes(scheme, out_features, in_features, bias_features);
  const uint64_t element_bytes = u(tensor::dtype_size_bytes(scheme.dense_dtype));
  return (u(out_features) * u(in_features) + u(bias_features)) * element_bytes;
}

base::Status not_divisible(const ModuleSpec& module, int64_t tp, std::string_view what, int64_t value) {
  return base::invalid_argument("--tensor-parallel-size {} cannot shard {}: its {} ({}) is not divisible by {}", tp,
                                module.name, what, value, tp);
}

}  // namespace

uint64_t ComponentBytes::total() const { return std::accumulate(bytes.begin(), bytes.end(), uint64_t{0}); }

base::Result<WeightBudget> weight_budget(const std::vector<ModuleSpec>& modules, const WeightFormatRules& rules,
                                         int64_t tensor_parallel_size, EncoderTpMode encoder_tp_mode) {
  const int64_t tp = tensor_parallel_size;
  if (tp < 1) return base::invalid_argument("--tensor-parallel-size must be at least 1 but is {}", tp);
  WeightBudget budget;
  for (const ModuleSpec& module : modules) {
    const LinearScheme scheme =
        module.is_linear ? rules.scheme_for(module.name, module.in_vision_tower) : rules.dense();
    budget.checkpoint[module.component] +=
        module_bytes(module, scheme, module.out_features, module.in_features, module.bias_features);

    ParallelStyle style = module.style;
    if (module.in_vision_tower && encoder_tp_mode == EncoderTpMode::kData) style = ParallelStyle::kReplicated;
    int64_t out_features = module.out_features;
    int64_t in_features = module.in_features;
    int64_t bias_features = module.bias_features;
    bool row_parallel = false;
    switch (style) {
      case ParallelStyle::kReplicated:
        break;
      case ParallelStyle::kColumn:
        if (out_features % tp != 0) return not_divisible(module, tp, "output width", out_features);
        out_features /= tp;
        bias_features = bias_features > 0 ? out_features : 0;
        break;
      case ParallelStyle::kRow:
        if (in_features % tp != 0) return not_divisible(module, tp, "input width", in_features);
        in_features /= tp;
        row_parallel = true;
        break;
      case ParallelStyle::kKvHeads: {
        const int64_t num_heads = out_features / module.head_dim;
        if (num_heads >= tp && num_heads % tp != 0) return not_divisible(module, tp, "KV head count", num_heads);
        if (num_heads < tp && tp % num_heads != 0) {
          return base::invalid_argument(
              "--tensor-parallel-size {} cannot shard {}: with {} KV heads, tp must divide them or be a multiple of "
              "them",
              tp, module.name, num_heads);
        }
        out_features = std::max<int64_t>(num_heads / tp, 1) * module.head_dim;
        bias_features = bias_features > 0 ? out_features : 0;
        break;
      }
      case ParallelStyle::kVocab: {
        // vLLM pads the vocabulary to 64 rows and then needs it to divide evenly (io::TensorParallelLayout, which
        // the loader uses, refuses the same sizes).
        const int64_t padded = (out_features + kVocabPaddingRows - 1) / kVocabPaddingRows * kVocabPaddingRows;
        if (padded % tp != 0) return not_divisible(module, tp, "padded vocabulary", padded);
        out_features = padded / tp;
        break;
      }
    }
    if (module.is_linear && tp > 1 && style != ParallelStyle::kReplicated) {
      std::string problem = shard_problem(scheme, out_features, in_features, row_parallel);
      if (!problem.empty()) {
        return base::invalid_argument("--tensor-parallel-size {} cannot shard {} ({}): {}", tp, module.name,
                                      scheme.describe(), problem);
      }
    }
    budget.per_gpu[module.component] += module_bytes(module, scheme, out_features, in_features, bias_features);
  }
  return budget;
}

}  // namespace fovea::plan
