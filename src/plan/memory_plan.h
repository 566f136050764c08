// MemoryPlan: what one GPU of a tensor-parallel group holds when serving a model with given settings (weights by
// component, activation workspace, vision-tower peak, runtime overheads, KV cache), whether vLLM's start-up rule is
// met (the KV cache holds at least one max-model-len request), and the inputs that decided it. Must not contain
// printing (plan_report.h) or the search for changes that would fit (plan_suggestions.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/model_config.h"
#include "io/parameter_census.h"
#include "plan/activation_workspace.h"
#include "plan/gpu_catalog.h"
#include "plan/kv_cache_budget.h"
#include "plan/kv_cache_sizing.h"
#include "plan/plan_options.h"
#include "plan/runtime_overhead.h"
#include "plan/weight_budget.h"
#include "plan/weight_format_rules.h"

namespace fovea::plan {

// The Qwen3-VL preprocessor's pixel ceiling (preprocessor_config.json size.longest_edge, spec §4.1), assumed when
// only config.json is given.
inline constexpr int64_t kQwen3VlDefaultMaxPixels = 16777216;

struct PlanInputs {
  io::ModelConfig config;
  std::optional<io::ParameterCensus> checkpoint_census;  // from the safetensors headers, when the folder has them
  std::optional<int64_t> preprocessor_max_pixels;        // the model folder's image processor size.longest_edge
  std::string preprocessor_source;                       // the file it came from ("" when absent)
  GpuSpec gpu;
  PlanOptions options;
  std::vector<std::string> notes;  // remarks from reading the inputs, carried into the plan
};

enum class FitProblem {
  kNone,
  kWeightsExceedBudget,      // the weights alone are larger than gpu_memory_utilization x memory
  kNoRoomForKvCache,         // weights + workspace + overheads leave nothing for the KV cache
  kKvCacheBelowMaxModelLen,  // vLLM refuses to start: one max-model-len request must fit in the KV cache
  kKvCacheOverrideTooLarge,  // --kv-cache-memory-bytes / --num-gpu-blocks-override ask for more than is left
};

struct GpuMemoryPlan {
  int64_t gpu_idx = 0;
  uint64_t total_bytes = 0;   // usable memory of the GPU
  uint64_t budget_bytes = 0;  // total_bytes x gpu_memory_utilization
  ComponentBytes weights;     // this GPU's share of each component
  uint64_t weights_bytes = 0;
  DecoderWorkspace decoder;
  VisionWorkspace vision;
  uint64_t workspace_bytes = 0;  // max(decoder, vision transient) + image embeddings kept for the decoder
  RuntimeOverhead overhead;
  uint64_t free_for_kv_bytes = 0;  // budget left after the above (0 when they exceed it)
  KvCacheCapacity kv_cache;        // whole blocks of that
};

// A change that would make the plan fit (or the best it can do), with the numbers of the plan it gives.
struct Suggestion {
  std::string kind;     // "max_model_len", "kv_cache_dtype", "weight_format", "tensor_parallel_size", ...
  std::string message;  // one sentence with the numbers
  std::vector<std::pair<std::string, std::string>> flags;  // the flags to pass: {"--max-model-len", "57344"}
  bool fits = false;
  int64_t kv_cache_tokens = 0;  // per GPU, under the change
  uint64_t kv_cache_bytes = 0;  // per GPU
  double max_concurrency = 0.0;
  uint64_t saved_bytes_per_gpu = 0;  // memory the change frees on each GPU (0 when not the point)
};

struct MemoryPlan {
  std::string architecture;
  std::string weight_format;  // WeightFormatRules::description()
  GpuSpec gpu;
  int64_t tensor_parallel_size = 1;
  int64_t max_model_len = 0;
  bool max_model_len_auto_fit = false;  // --max-model-len auto: max_model_len is what the KV cache holds
  int64_t max_num_seqs = 0;
  int64_t max_num_batched_tokens = 0;
  double gpu_memory_utilization = 0.9;
  bool defaults_for_large_gpus = false;  // max_num_seqs / batched tokens took vLLM's >= 70 GiB defaults
  KvCacheDtype kv_cache_dtype = KvCacheDtype::kAuto;
  std::string kv_cache_dtype_resolved;  // "bfloat16", "fp8_e4m3", ...
  KvCacheShape kv_shape;
  EncoderTpMode mm_encoder_tp_mode = EncoderTpMode::kWeights;
  VisionWorkload vision_workload;  // empty for text models
  std::string max_pixels_source;
  ComponentBytes checkpoint_bytes;  // the whole checkpoint per component
  bool checkpoint_bytes_from_headers = false;
  std::vector<GpuMemoryPlan> per_gpu;  // one per tensor-parallel rank (ranks hold equal shares)

  bool fits = false;
  FitProblem problem = FitProblem::kNone;
  std::string verdict;  // one sentence
  double max_concurrency = 0.0;
  std::vector<Suggestion> suggestions;
  std::vector<std::string> notes;
};

// The plan for `inputs`; `rules` replaces the checkpoint's weight format (suggestions use it). Errors are settings
// that cannot be served at all (a tp that cannot shard the model, an unsupported format), not "does not fit".
base::Result<MemoryPlan> compute_memory_plan(const PlanInputs& inputs, const WeightFormatRules* rules = nullptr);

}  // namespace fovea::plan
