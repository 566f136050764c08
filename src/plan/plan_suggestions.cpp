// Suggestions: each candidate change is planned again with compute_memory_plan; the numbers reported are that
// plan's. Candidates that cannot be served at all (a tp that does not divide the heads) are skipped.
#include "plan/plan_suggestions.h"

#include <algorithm>

namespace fovea::plan {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

const GpuMemoryPlan& first_gpu(const MemoryPlan& plan) { return plan.per_gpu.front(); }

Suggestion from_plan(std::string kind, std::string message, std::vector<std::pair<std::string, std::string>> flags,
                     const MemoryPlan& changed) {
  Suggestion suggestion;
  suggestion.kind = std::move(kind);
  suggestion.flags = std::move(flags);
  suggestion.fits = changed.fits;
  suggestion.kv_cache_tokens = first_gpu(changed).kv_cache.num_tokens;
  suggestion.kv_cache_bytes = first_gpu(changed).kv_cache.num_bytes;
  suggestion.max_concurrency = changed.max_concurrency;
  suggestion.message =
      std::move(message) + fmt::format("; KV cache {} per GPU, {} tokens, {:.2f}x concurrency at {} tokens{}",
                                       format_gib(suggestion.kv_cache_bytes), suggestion.kv_cache_tokens,
                                       changed.max_concurrency, changed.max_model_len,
                                       changed.fits ? " (fits)" : " (still does not fit)");
  return suggestion;
}

std::optional<MemoryPlan> replan(const PlanInputs& inputs, const WeightFormatRules* rules = nullptr) {
  base::Result<MemoryPlan> plan = compute_memory_plan(inputs, rules);
  if (!plan.ok()) return std::nullopt;
  return std::move(plan).value();
}

void suggest_max_model_len(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  if (plan.problem != FitProblem::kKvCacheBelowMaxModelLen) return;
  // A shorter context can also change the workload the plan reports: climb to the fixed point.
  int64_t candidate = first_gpu(plan).kv_cache.num_tokens;
  std::optional<MemoryPlan> best;
  for (int step = 0; step < 8 && candidate > 0; ++step) {
    PlanInputs changed = inputs;
    changed.options.max_model_len = candidate;
    std::optional<MemoryPlan> attempt = replan(changed);
    if (!attempt || !attempt->fits) break;
    best = attempt;
    const int64_t capacity = std::min(first_gpu(*attempt).kv_cache.num_tokens, plan.max_model_len);
    if (capacity <= candidate) break;
    candidate = capacity;
  }
  if (!best) return;
  out.push_back(from_plan(
      "max_model_len", fmt::format("--max-model-len {}: the longest context this KV cache holds", best->max_model_len),
      {{"--max-model-len", std::to_string(best->max_model_len)}}, *best));
}

void suggest_fp8_kv(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  if (plan.kv_shape.element_bytes <= 1 || plan.problem == FitProblem::kWeightsExceedBudget) return;
  PlanInputs changed = inputs;
  changed.options.kv_cache_dtype = KvCacheDtype::kFp8E4m3;
  std::optional<MemoryPlan> attempt = replan(changed);
  if (!attempt) return;
  out.push_back(
      from_plan("kv_cache_dtype",
                fmt::format("--kv-cache-dtype fp8: {} KiB instead of {} KiB of KV cache per token on each GPU",
                            attempt->kv_shape.bytes_per_token() / 1024, plan.kv_shape.bytes_per_token() / 1024),
                {{"--kv-cache-dtype", "fp8"}}, *attempt));
}

void suggest_weight_formats(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  const uint64_t weights_now = first_gpu(plan).weights_bytes;
  base::Result<WeightFormatRules> current = WeightFormatRules::from_config(inputs.config, inputs.options.quantization);
  if (!current.ok()) return;
  if (!inputs.config.quantization_config && !inputs.options.quantization) {
    PlanInputs changed = inputs;
    changed.options.quantization = "fp8";
    if (std::optional<MemoryPlan> attempt = replan(changed)) {
      const uint64_t saved = weights_now - std::min(weights_now, first_gpu(*attempt).weights_bytes);
      Suggestion suggestion = from_plan(
          "weight_format",
          fmt::format("--quantization fp8 (FP8 weights quantized at load time) saves {} per GPU", format_gib(saved)),
          {{"--quantization", "fp8"}}, *attempt);
      suggestion.saved_bytes_per_gpu = saved;
      out.push_back(std::move(suggestion));
    }
  }
  if (current->min_bits() <= 4) return;
  const WeightFormatRules int4 = WeightFormatRules::int4_group128(inputs.config);
  PlanInputs changed = inputs;
  changed.options.quantization.reset();
  std::optional<MemoryPlan> attempt = replan(changed, &int4);
  if (!attempt) return;
  const uint64_t saved = weights_now - std::min(weights_now, first_gpu(*attempt).weights_bytes);
  Suggestion suggestion = from_plan(
      "weight_format",
      fmt::format("a 4-bit checkpoint of this model ({}, e.g. AWQ or compressed-tensors W4A16, vision tower and "
                  "lm_head unquantized) takes {} instead of {} of weights per GPU, saving {}",
                  int4.description(), format_gib(first_gpu(*attempt).weights_bytes), format_gib(weights_now),
                  format_gib(saved)),
      {}, *attempt);
  suggestion.saved_bytes_per_gpu = saved;
  out.push_back(std::move(suggestion));
}

void suggest_more_gpus(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  for (int64_t tp : {2, 4, 8}) {
    if (tp <= plan.tensor_parallel_size) continue;
    PlanInputs changed = inputs;
    changed.options.tensor_parallel_size = tp;
    std::optional<MemoryPlan> attempt = replan(changed);
    if (!attempt) continue;
    out.push_back(from_plan("tensor_parallel_size",
                            fmt::format("--tensor-parallel-size {} ({} {}s): {} of weights per GPU", tp, tp,
                                        plan.gpu.name, format_gib(first_gpu(*attempt).weights_bytes)),
                            {{"--tensor-parallel-size", std::to_string(tp)}}, *attempt));
    if (attempt->fits) break;
  }
}

void suggest_smaller_batch(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  const int64_t seqs = std::min<int64_t>(plan.max_num_seqs, 64);
  const int64_t tokens = std::max<int64_t>(std::min<int64_t>(plan.max_num_batched_tokens, 1024), seqs);
  if (seqs == plan.max_num_seqs && tokens == plan.max_num_batched_tokens) return;
  PlanInputs changed = inputs;
  changed.options.max_num_seqs = seqs;
  changed.options.max_num_batched_tokens = tokens;
  std::optional<MemoryPlan> attempt = replan(changed);
  if (!attempt) return;
  const uint64_t before = first_gpu(plan).workspace_bytes + first_gpu(plan).overhead.total();
  const uint64_t after = first_gpu(*attempt).workspace_bytes + first_gpu(*attempt).overhead.total();
  if (before <= after || before - after < 64 * kMiB) return;
  Suggestion suggestion = from_plan(
      "batch_limits",
      fmt::format("--max-num-seqs {} --max-num-batched-tokens {}: a smaller step frees {} of workspace per GPU", seqs,
                  tokens, format_gib(before - after)),
      {{"--max-num-seqs", std::to_string(seqs)}, {"--max-num-batched-tokens", std::to_string(tokens)}}, *attempt);
  suggestion.saved_bytes_per_gpu = before - after;
  out.push_back(std::move(suggestion));
}

void suggest_utilization(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  for (int percent = static_cast<int>(plan.gpu_memory_utilization * 100.0 + 1e-9) + 1; percent <= 95; ++percent) {
    PlanInputs changed = inputs;
    changed.options.gpu_memory_utilization = percent / 100.0;
    std::optional<MemoryPlan> attempt = replan(changed);
    if (!attempt) return;
    if (!attempt->fits) continue;
    const std::string value = fmt::format("{:.2f}", percent / 100.0);
    out.push_back(from_plan("gpu_memory_utilization",
                            fmt::format("--gpu-memory-utilization {}: the smallest memory fraction at which it fits "
                                        "(leave room for anything else on the GPU)",
                                        value),
                            {{"--gpu-memory-utilization", value}}, *attempt));
    return;
  }
}

// Image size and count do not change what is allocated (the engine allocates one encoder step and its cache, see
// io::vision_step_budget): only serving text alone frees the vision workspace.
void suggest_text_only(const PlanInputs& inputs, const MemoryPlan& plan, std::vector<Suggestion>& out) {
  const GpuMemoryPlan& gpu = first_gpu(plan);
  if (plan.vision_workload.num_patches == 0 || gpu.vision.transient + gpu.vision.encoder_output < 256 * kMiB) return;
  PlanInputs changed = inputs;
  changed.options.max_images_per_prompt = 0;
  std::optional<MemoryPlan> attempt = replan(changed);
  if (!attempt) return;
  const std::string limit = R"({"image": 0, "video": 0})";
  out.push_back(from_plan("text_only",
                          fmt::format("--limit-mm-per-prompt '{}': text only, no vision workspace or encoder cache",
                                      limit),
                          {{"--limit-mm-per-prompt", limit}}, *attempt));
}

}  // namespace

std::vector<Suggestion> suggest_changes(const PlanInputs& inputs, const MemoryPlan& plan) {
  std::vector<Suggestion> suggestions;
  // An explicit KV size that does not fit is fixed by asking for less (the verdict says so), not by other changes.
  if (plan.fits || plan.per_gpu.empty() || plan.problem == FitProblem::kKvCacheOverrideTooLarge) return suggestions;
  suggest_max_model_len(inputs, plan, suggestions);
  suggest_fp8_kv(inputs, plan, suggestions);
  suggest_text_only(inputs, plan, suggestions);
  suggest_weight_formats(inputs, plan, suggestions);
  suggest_more_gpus(inputs, plan, suggestions);
  suggest_smaller_batch(inputs, plan, suggestions);
  suggest_utilization(inputs, plan, suggestions);
  return suggestions;
}

base::Result<MemoryPlan> plan_memory(const PlanInputs& inputs) {
  FOVEA_ASSIGN_OR_RETURN(MemoryPlan plan, compute_memory_plan(inputs));
  plan.suggestions = suggest_changes(inputs, plan);
  return plan;
}

}  // namespace fovea::plan
