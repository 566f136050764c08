// Start-up memory summary: measured parts beside plan::compute_memory_plan's, and the config -> PlanOptions mapping.
// Must not contain planning arithmetic or measuring.
#include "serve/startup_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/runtime/engine_config.h"
#include "plan/gpu_catalog.h"
#include "plan/memory_plan.h"
#include "plan/model_inputs.h"

namespace fovea::serve {
namespace {

plan::KvCacheDtype plan_kv_cache_dtype(KvCacheDtype dtype) {
  switch (dtype) {
    case KvCacheDtype::kAuto:
      return plan::KvCacheDtype::kAuto;
    case KvCacheDtype::kFloat16:
      return plan::KvCacheDtype::kFloat16;
    case KvCacheDtype::kBfloat16:
      return plan::KvCacheDtype::kBFloat16;
    case KvCacheDtype::kFp8E4m3:
      return plan::KvCacheDtype::kFp8E4m3;
    case KvCacheDtype::kFp8E5m2:
      return plan::KvCacheDtype::kFp8E5m2;
  }
  return plan::KvCacheDtype::kAuto;
}

// GiB with two decimals from 1 GiB up, else MiB with one (a small model's parts would all read 0.00 GiB).
std::string gib(uint64_t num_bytes) {
  const auto value = static_cast<double>(num_bytes);
  if (num_bytes >= (uint64_t{1} << 30))
    return fmt::format("{:.2f} GiB", value / static_cast<double>(uint64_t{1} << 30));
  return fmt::format("{:.1f} MiB", value / static_cast<double>(uint64_t{1} << 20));
}

std::string difference(uint64_t measured_bytes, uint64_t planned_bytes) {
  const double delta_mib = (static_cast<double>(measured_bytes) - static_cast<double>(planned_bytes)) /
                           static_cast<double>(uint64_t{1} << 20);
  if (planned_bytes == 0) return fmt::format("{:+.0f} MiB", delta_mib);
  const double percent = 100.0 * (static_cast<double>(measured_bytes) - static_cast<double>(planned_bytes)) /
                         static_cast<double>(planned_bytes);
  return fmt::format("{:+.0f} MiB ({:+.1f}%)", delta_mib, percent);
}

std::string row(const char* part, uint64_t measured_bytes, std::optional<uint64_t> planned_bytes,
                const char* remark = "") {
  if (!planned_bytes) return fmt::format("  {:<22} {:>12} {:>12}   {}", part, gib(measured_bytes), "-", remark);
  return fmt::format("  {:<22} {:>12} {:>12}   {}{}", part, gib(measured_bytes), gib(*planned_bytes),
                     difference(measured_bytes, *planned_bytes), remark);
}

}  // namespace

plan::PlanOptions plan_options_from_serve_config(const ServeConfig& config) {
  plan::PlanOptions options;
  options.tensor_parallel_size = config.tensor_parallel_size;
  options.max_model_len = config.max_model_len_tokens;
  options.max_model_len_auto_fit = config.max_model_len_auto_fit;
  options.kv_cache_dtype = plan_kv_cache_dtype(config.kv_cache_dtype);
  options.gpu_memory_utilization = config.gpu_memory_utilization;
  if (config.max_num_seqs) options.max_num_seqs = *config.max_num_seqs;
  options.max_num_batched_tokens = config.max_num_batched_tokens;
  options.max_images_per_prompt = config.limit_mm_per_prompt.num_images;
  options.max_videos_per_prompt = config.limit_mm_per_prompt.num_videos;
  options.max_pixels = config.mm_processor_kwargs.max_pixels;
  options.mm_encoder_tp_mode =
      config.mm_encoder_tp_mode == MmEncoderTpMode::kData ? plan::EncoderTpMode::kData : plan::EncoderTpMode::kWeights;
  if (config.quantization != QuantizationMethod::kAuto) options.quantization = quantization_name(config.quantization);
  options.enforce_eager = config.enforce_eager;
  options.disable_custom_all_reduce = config.disable_custom_all_reduce;
  options.block_size_tokens = config.block_size;
  if (config.kv_cache_memory_bytes)
    options.kv_cache_memory_bytes = static_cast<uint64_t>(*config.kv_cache_memory_bytes);
  options.num_gpu_blocks_override = config.num_gpu_blocks_override;
  return options;
}

std::vector<std::string> startup_memory_summary(const ServeConfig& config, const engine::EngineInfo& info,
                                                const std::vector<engine::GpuStatus>& gpus) {
  std::vector<std::string> lines;
  for (const engine::DeviceMemoryUse& use : info.memory) {
    std::optional<plan::GpuMemoryPlan> planned;
    std::string plan_note;
    plan::PlanInputs inputs;
    base::Status status = plan::read_model_folder(config.model, inputs);
    if (status.ok()) {
      inputs.gpu = plan::custom_gpu(use.total_bytes);
      inputs.options = plan_options_from_serve_config(config);
      // The engine's own step limits where the flags leave them unset (the planner would assume vLLM's).
      const engine::EngineConfig engine_defaults;
      if (!inputs.options.max_num_seqs) inputs.options.max_num_seqs = engine_defaults.max_num_seqs;
      if (!inputs.options.max_num_batched_tokens) {
        inputs.options.max_num_batched_tokens = engine_defaults.max_num_batched_tokens;
      }
      base::Result<plan::MemoryPlan> plan = plan::compute_memory_plan(inputs);
      if (plan.ok() && !plan->per_gpu.empty()) {
        planned = plan->per_gpu.front();
      } else {
        status = plan.ok() ? base::Status() : plan.status();
      }
    }
    if (!status.ok()) plan_note = "no plan to compare with: " + status.message();

    lines.push_back(fmt::format("memory on {} ({}): measured after load, beside `fovea plan` for {} of memory",
                                use.device, use.name, gib(use.total_bytes)));
    lines.push_back(fmt::format("  {:<22} {:>12} {:>12}   {}", "part", "measured", "planned", "difference"));
    // The planner predicts what a GPU holds; on the CPU only the weights and workspaces compare.
    const bool whole_plan = planned && use.is_gpu;
    const auto plan_of = [&](uint64_t plan::GpuMemoryPlan::*field) -> std::optional<uint64_t> {
      if (!planned) return std::nullopt;
      return (*planned).*field;
    };
    lines.push_back(row("weights", use.weights_bytes, plan_of(&plan::GpuMemoryPlan::weights_bytes)));
    lines.push_back(row("activations workspace", use.workspace_bytes, plan_of(&plan::GpuMemoryPlan::workspace_bytes)));
    std::optional<uint64_t> planned_graphs;
    std::optional<uint64_t> planned_kv;
    std::optional<uint64_t> planned_other;
    std::optional<uint64_t> planned_used;
    if (whole_plan) {
      planned_graphs = planned->overhead.cuda_graphs;
      planned_kv = planned->kv_cache.num_bytes;
      planned_other = planned->overhead.total() - planned->overhead.cuda_graphs;
      planned_used =
          planned->weights_bytes + planned->workspace_bytes + planned->overhead.total() + planned->kv_cache.num_bytes;
    }
    lines.push_back(row("CUDA graphs", use.cuda_graphs_bytes, planned_graphs,
                        use.is_gpu ? "  (decode graphs are captured on first use)" : ""));
    lines.push_back(row("KV cache", use.kv_cache_bytes, planned_kv,
                        fmt::format("  ({} tokens, {} blocks)", info.kv_cache_tokens, info.num_kv_blocks).c_str()));
    if (use.is_gpu) {
      lines.push_back(row("other", use.other_bytes, planned_other, "  (CUDA context, cuBLAS, allocator, others)"));
      const uint64_t used_bytes = use.total_bytes - std::min(use.free_bytes, use.total_bytes);
      lines.push_back(row("used", used_bytes, planned_used));
    }
    lines.push_back(row("free", use.free_bytes, std::nullopt));
    lines.push_back(row("total", use.total_bytes, std::nullopt, use.is_gpu ? "" : "  (cpu: host memory)"));
    for (const engine::GpuStatus& gpu : gpus) {
      if (!use.is_gpu || use.device != fmt::format("cuda:{}", gpu.gpu_idx)) continue;
      lines.push_back(fmt::format("  NVML: {} used of {} on {}", gib(gpu.memory_used_bytes),
                                  gib(gpu.memory_total_bytes), gpu.name));
    }
    if (!plan_note.empty()) lines.push_back("  " + plan_note);
  }
  return lines;
}

}  // namespace fovea::serve
