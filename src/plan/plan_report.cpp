// JSON and table rendering of a memory plan (nlohmann stays inside this file).
#include "plan/plan_report.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace fovea::plan {
namespace {

using nlohmann::ordered_json;

std::string_view problem_name(FitProblem problem) {
  switch (problem) {
    case FitProblem::kNone:
      return "none";
    case FitProblem::kWeightsExceedBudget:
      return "weights_exceed_budget";
    case FitProblem::kNoRoomForKvCache:
      return "no_room_for_kv_cache";
    case FitProblem::kKvCacheBelowMaxModelLen:
      return "kv_cache_below_max_model_len";
    case FitProblem::kKvCacheOverrideTooLarge:
      return "kv_cache_override_too_large";
  }
  return "none";
}

double two_decimals(double value) { return std::round(value * 100.0) / 100.0; }

std::string gib_number(uint64_t num_bytes) {
  return fmt::format("{:.2f}", static_cast<double>(num_bytes) / static_cast<double>(uint64_t{1} << 30));
}

ordered_json components_json(const ComponentBytes& bytes) {
  ordered_json out = ordered_json::object();
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    const auto component = static_cast<io::ModelComponent>(component_idx);
    out[std::string(io::component_name(component))] = bytes[component];
  }
  out["total"] = bytes.total();
  return out;
}

ordered_json gpu_json(const GpuMemoryPlan& gpu) {
  ordered_json decoder = {{"bytes", gpu.decoder.total()},
                          {"per_token_bytes", gpu.decoder.per_token_bytes},
                          {"activations_bytes", gpu.decoder.activations},
                          {"attention_scratch_bytes", gpu.decoder.attention_scratch},
                          {"logits_bytes", gpu.decoder.logits},
                          {"sampler_bytes", gpu.decoder.sampler}};
  ordered_json vision = {{"num_patches", gpu.vision.num_patches},
                         {"per_patch_bytes", gpu.vision.per_patch_bytes},
                         {"transient_bytes", gpu.vision.transient},
                         {"image_embeddings_bytes", gpu.vision.encoder_output}};
  ordered_json overhead = {{"cuda_context_bytes", gpu.overhead.cuda_context},
                           {"cublas_bytes", gpu.overhead.cublas},
                           {"nccl_bytes", gpu.overhead.nccl},
                           {"peer_all_reduce_bytes", gpu.overhead.peer_all_reduce},
                           {"cuda_graphs_bytes", gpu.overhead.cuda_graphs},
                           {"num_cuda_graphs", gpu.overhead.num_cuda_graphs}};
  return {{"gpu_idx", gpu.gpu_idx},
          {"total_bytes", gpu.total_bytes},
          {"budget_bytes", gpu.budget_bytes},
          {"weights_bytes", gpu.weights_bytes},
          {"weights", components_json(gpu.weights)},
          {"workspace_bytes", gpu.workspace_bytes},
          {"workspace", {{"decoder_step", decoder}, {"vision_tower", vision}}},
          {"overhead_bytes", gpu.overhead.total()},
          {"overhead", overhead},
          {"free_for_kv_cache_bytes", gpu.free_for_kv_bytes},
          {"kv_cache_bytes", gpu.kv_cache.num_bytes},
          {"kv_cache_blocks", gpu.kv_cache.num_blocks},
          {"kv_cache_tokens", gpu.kv_cache.num_tokens}};
}

// Rows of cells, each column padded to its widest cell; columns after the first are right-aligned (numbers).
std::string aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t column_idx = 0; column_idx < row.size(); ++column_idx) {
      if (widths.size() <= column_idx) widths.push_back(0);
      widths[column_idx] = std::max(widths[column_idx], row[column_idx].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t column_idx = 0; column_idx < row.size(); ++column_idx) {
      line += column_idx == 0 ? fmt::format("{:<{}}", row[column_idx], widths[column_idx])
                              : fmt::format("  {:>{}}", row[column_idx], widths[column_idx]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string plan_to_json(const MemoryPlan& plan) {
  ordered_json settings = {{"tensor_parallel_size", plan.tensor_parallel_size},
                           {"max_model_len", plan.max_model_len},
                           {"max_model_len_auto_fit", plan.max_model_len_auto_fit},
                           {"max_num_seqs", plan.max_num_seqs},
                           {"max_num_batched_tokens", plan.max_num_batched_tokens},
                           {"gpu_memory_utilization", plan.gpu_memory_utilization},
                           {"kv_cache_dtype", std::string(kv_cache_dtype_name(plan.kv_cache_dtype))},
                           {"kv_cache_dtype_resolved", plan.kv_cache_dtype_resolved},
                           {"block_size", plan.kv_shape.block_size_tokens},
                           {"mm_encoder_tp_mode", std::string(encoder_tp_mode_name(plan.mm_encoder_tp_mode))}};
  ordered_json images = nullptr;
  if (plan.vision_workload.max_pixels > 0) {
    images = {{"max_pixels", plan.vision_workload.max_pixels},
              {"max_pixels_source", plan.max_pixels_source},
              {"max_tokens_per_image", plan.vision_workload.max_tokens_per_image},
              {"images_per_request", plan.vision_workload.num_images},
              {"image_tokens_per_request", plan.vision_workload.num_tokens},
              {"patches_per_request", plan.vision_workload.num_patches}};
  }
  ordered_json per_gpu = ordered_json::array();
  for (const GpuMemoryPlan& gpu : plan.per_gpu) per_gpu.push_back(gpu_json(gpu));
  ordered_json suggestions = ordered_json::array();
  for (const Suggestion& suggestion : plan.suggestions) {
    ordered_json flags = ordered_json::object();
    for (const auto& [flag, value] : suggestion.flags) flags[flag] = value;
    suggestions.push_back({{"kind", suggestion.kind},
                           {"message", suggestion.message},
                           {"flags", flags},
                           {"fits", suggestion.fits},
                           {"kv_cache_tokens", suggestion.kv_cache_tokens},
                           {"kv_cache_bytes", suggestion.kv_cache_bytes},
                           {"max_concurrency", two_decimals(suggestion.max_concurrency)},
                           {"saved_bytes_per_gpu", suggestion.saved_bytes_per_gpu}});
  }
  ordered_json document = {
      {"fits", plan.fits},
      {"verdict", plan.verdict},
      {"problem", std::string(problem_name(plan.problem))},
      {"max_concurrency", two_decimals(plan.max_concurrency)},
      {"model",
       {{"architecture", plan.architecture},
        {"weight_format", plan.weight_format},
        {"checkpoint_bytes", components_json(plan.checkpoint_bytes)},
        {"checkpoint_bytes_source", plan.checkpoint_bytes_from_headers ? "safetensors headers" : "config.json"}}},
      {"gpu",
       {{"name", plan.gpu.name},
        {"memory_bytes", plan.gpu.memory_bytes},
        {"memory_source", plan.gpu.memory_source},
        {"count", plan.tensor_parallel_size}}},
      {"settings", settings},
      {"images", images},
      {"kv_cache",
       {{"bytes_per_token_per_gpu", plan.kv_shape.bytes_per_token()},
        {"bytes_per_block_per_gpu", plan.kv_shape.bytes_per_block()},
        {"kv_heads_per_gpu", plan.kv_shape.num_kv_heads_per_gpu},
        {"element_bytes", plan.kv_shape.element_bytes}}},
      {"per_gpu", per_gpu},
      {"suggestions", suggestions},
      {"notes", plan.notes}};
  return document.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

std::string plan_to_table(const MemoryPlan& plan) {
  std::string out;
  out += fmt::format("model     {} — weights {}\n", plan.architecture, plan.weight_format);
  out += fmt::format("gpus      {} x {}, {} usable each ({})\n", plan.tensor_parallel_size, plan.gpu.name,
                     format_gib(plan.gpu.memory_bytes), plan.gpu.memory_source);
  out += fmt::format(
      "settings  --tensor-parallel-size {} --max-model-len {}{} --max-num-seqs {} --max-num-batched-tokens {} "
      "--kv-cache-dtype {} --gpu-memory-utilization {:.2f}{}\n",
      plan.tensor_parallel_size, plan.max_model_len, plan.max_model_len_auto_fit ? " (auto)" : "", plan.max_num_seqs,
      plan.max_num_batched_tokens, plan.kv_cache_dtype_resolved, plan.gpu_memory_utilization,
      plan.defaults_for_large_gpus ? " (batch defaults of vLLM for >= 70 GiB GPUs)" : "");
  if (plan.vision_workload.max_pixels > 0) {
    out += fmt::format(
        "images    {} per request at up to {} pixels ({}): {} image tokens, {} vision patches; encoder TP mode {}\n",
        plan.vision_workload.num_images, plan.vision_workload.max_pixels, plan.max_pixels_source,
        plan.vision_workload.num_tokens, plan.vision_workload.num_patches,
        encoder_tp_mode_name(plan.mm_encoder_tp_mode));
  }
  out += "\n";

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"GiB per GPU"};
  for (const GpuMemoryPlan& gpu : plan.per_gpu) header.push_back(fmt::format("GPU {}", gpu.gpu_idx));
  rows.push_back(header);
  auto add_row = [&](const std::string& label, auto value_of) {
    std::vector<std::string> row = {label};
    for (const GpuMemoryPlan& gpu : plan.per_gpu) row.push_back(gib_number(value_of(gpu)));
    rows.push_back(std::move(row));
  };
  add_row(fmt::format("budget ({:.2f} of {})", plan.gpu_memory_utilization, format_gib(plan.gpu.memory_bytes)),
          [](const GpuMemoryPlan& gpu) { return gpu.budget_bytes; });
  add_row("weights", [](const GpuMemoryPlan& gpu) { return gpu.weights_bytes; });
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    const auto component = static_cast<io::ModelComponent>(component_idx);
    if (plan.per_gpu.front().weights[component] == 0) continue;
    add_row("  " + std::string(io::component_name(component)),
            [component](const GpuMemoryPlan& gpu) { return gpu.weights[component]; });
  }
  add_row("workspace", [](const GpuMemoryPlan& gpu) { return gpu.workspace_bytes; });
  add_row(fmt::format("  decoder step ({} tokens, {} sampled rows)", plan.max_num_batched_tokens,
                      std::min(plan.max_num_seqs, plan.max_num_batched_tokens)),
          [](const GpuMemoryPlan& gpu) { return gpu.decoder.total(); });
  if (plan.vision_workload.num_patches > 0) {
    add_row(fmt::format("  vision encoder step ({} patches)", plan.per_gpu.front().vision.num_patches),
            [](const GpuMemoryPlan& gpu) { return gpu.vision.transient; });
    add_row("  encoder cache (image embeddings)", [](const GpuMemoryPlan& gpu) { return gpu.vision.encoder_output; });
  }
  add_row("runtime overheads", [](const GpuMemoryPlan& gpu) { return gpu.overhead.total(); });
  add_row("  CUDA context", [](const GpuMemoryPlan& gpu) { return gpu.overhead.cuda_context; });
  add_row("  cuBLAS / cuBLASLt", [](const GpuMemoryPlan& gpu) { return gpu.overhead.cublas; });
  if (plan.tensor_parallel_size > 1) add_row("  NCCL", [](const GpuMemoryPlan& gpu) { return gpu.overhead.nccl; });
  if (plan.per_gpu.front().overhead.peer_all_reduce > 0) {
    add_row("  peer all-reduce", [](const GpuMemoryPlan& gpu) { return gpu.overhead.peer_all_reduce; });
  }
  add_row(fmt::format("  CUDA graphs ({} batch sizes)", plan.per_gpu.front().overhead.num_cuda_graphs),
          [](const GpuMemoryPlan& gpu) { return gpu.overhead.cuda_graphs; });
  add_row("KV cache", [](const GpuMemoryPlan& gpu) { return gpu.kv_cache.num_bytes; });
  out += aligned(rows);

  const GpuMemoryPlan& gpu = plan.per_gpu.front();
  out += fmt::format(
      "\nKV cache  {} bytes ({} KiB) per token per GPU ({} layers x K,V x {} KV heads x {} x {} B); "
      "{} tokens in {} blocks of {}\n",
      plan.kv_shape.bytes_per_token(), plan.kv_shape.bytes_per_token() / 1024, plan.kv_shape.num_layers,
      plan.kv_shape.num_kv_heads_per_gpu, plan.kv_shape.head_dim, plan.kv_shape.element_bytes, gpu.kv_cache.num_tokens,
      gpu.kv_cache.num_blocks, plan.kv_shape.block_size_tokens);
  out +=
      fmt::format("Maximum concurrency for {} tokens per request: {:.2f}x\n", plan.max_model_len, plan.max_concurrency);
  out += fmt::format("\nverdict   {}\n", plan.verdict);
  if (!plan.suggestions.empty()) {
    out += "\nto make it fit:\n";
    for (const Suggestion& suggestion : plan.suggestions) out += "  - " + suggestion.message + "\n";
  }
  if (!plan.notes.empty()) {
    out += "\nnotes:\n";
    for (const std::string& note : plan.notes) out += "  - " + note + "\n";
  }
  return out;
}

std::string gpu_catalog_table() {
  std::vector<std::vector<std::string>> rows = {{"name", "GiB", "aliases", "source"}};
  for (const GpuSpec& gpu : gpu_catalog()) {
    std::string aliases;
    for (const std::string& alias : gpu.aliases) aliases += (aliases.empty() ? "" : ", ") + alias;
    rows.push_back({gpu.name, gib_number(gpu.memory_bytes), aliases, gpu.memory_source});
  }
  // Left-align the text columns: only GiB is a number.
  std::vector<size_t> widths(4, 0);
  for (const auto& row : rows) {
    for (size_t column_idx = 0; column_idx < row.size(); ++column_idx) {
      widths[column_idx] = std::max(widths[column_idx], row[column_idx].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    out += fmt::format("{:<{}}  {:>{}}  {:<{}}  {}\n", row[0], widths[0], row[1], widths[1], row[2], widths[2], row[3]);
  }
  return out;
}

}  // namespace fovea::plan
