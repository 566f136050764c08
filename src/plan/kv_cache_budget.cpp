// plan_kv_cache: vLLM's KV-cache sizing (determine_available_memory, then the check that one max_model_len request
// fits, with estimate_max_model_len for the hint) applied to a cudaMemGetInfo-style reading of one GPU.
#include "plan/kv_cache_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "plan/gpu_catalog.h"

namespace fovea::plan {
namespace {

uint64_t saturating_sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// Bytes the cache needs to hold one request of `num_tokens` tokens (whole blocks).
uint64_t bytes_for_tokens(const KvCacheShape& shape, int64_t num_tokens) {
  if (shape.block_size_tokens < 1 || num_tokens < 1) return 0;
  const int64_t num_blocks = (num_tokens + shape.block_size_tokens - 1) / shape.block_size_tokens;
  return static_cast<uint64_t>(num_blocks) * shape.bytes_per_block();
}

}  // namespace

KvCacheBudget plan_kv_cache(const GpuMemoryReading& reading, const KvCacheRequest& request) {
  KvCacheBudget out;
  const KvCacheShape& shape = request.shape;
  const uint64_t free_bytes = std::min(reading.free_bytes, reading.total_bytes);
  out.used_bytes = reading.total_bytes - free_bytes;
  const double utilization = std::clamp(request.gpu_memory_utilization, 0.0, 1.0);
  out.budget_bytes = static_cast<uint64_t>(static_cast<double>(reading.total_bytes) * utilization);
  out.max_model_len = request.max_model_len;
  const uint64_t allocatable_bytes = saturating_sub(free_bytes, request.reserved_bytes);
  const uint64_t block_bytes = shape.bytes_per_block();

  std::optional<uint64_t> requested_bytes = request.kv_cache_memory_bytes;
  if (request.num_gpu_blocks_override && block_bytes > 0) {
    const uint64_t num_blocks = static_cast<uint64_t>(std::max<int64_t>(*request.num_gpu_blocks_override, 0));
    requested_bytes = num_blocks > std::numeric_limits<uint64_t>::max() / block_bytes
                          ? std::numeric_limits<uint64_t>::max()
                          : num_blocks * block_bytes;
  }
  if (requested_bytes) {
    if (*requested_bytes > allocatable_bytes) {
      out.problem = KvCacheProblem::kOverrideExceedsFreeMemory;
      out.message = fmt::format(
          "the KV cache asked for ({} by --{}) is more than the {} this GPU has free; ask for less or free memory",
          format_gib(*requested_bytes),
          request.num_gpu_blocks_override ? "num-gpu-blocks-override" : "kv-cache-memory-bytes",
          format_gib(allocatable_bytes));
      return out;
    }
    out.available_bytes = *requested_bytes;
  } else {
    out.available_bytes = saturating_sub(out.budget_bytes, out.used_bytes + request.reserved_bytes);
  }
  out.capacity = kv_cache_capacity(out.available_bytes, shape);

  if (out.capacity.num_blocks == 0) {
    out.problem = KvCacheProblem::kNoMemoryLeft;
    out.message = fmt::format(
        "no memory is left for the KV cache: {} is in use (weights, workspace, runtime){} of the {} budget "
        "({} x {:.2f}); raise --gpu-memory-utilization, use more GPUs or a smaller weight format",
        format_gib(out.used_bytes),
        request.reserved_bytes > 0
            ? fmt::format(" and {} is reserved (CUDA graphs)", format_gib(request.reserved_bytes))
            : std::string(),
        format_gib(out.budget_bytes), format_gib(reading.total_bytes), utilization);
    return out;
  }
  if (request.max_model_len_auto_fit && out.capacity.num_tokens < out.max_model_len) {
    out.max_model_len = out.capacity.num_tokens;
  }
  out.max_concurrency = max_concurrency(out.capacity, shape, out.max_model_len);
  if (out.capacity.num_tokens < out.max_model_len) {
    out.problem = KvCacheProblem::kBelowMaxModelLen;
    out.message = fmt::format(
        "one request of --max-model-len {} tokens needs {} of KV cache but only {} is available ({} tokens); set "
        "--max-model-len {} or less (or auto), raise --gpu-memory-utilization, use an FP8 KV cache or more GPUs",
        out.max_model_len, format_gib(bytes_for_tokens(shape, out.max_model_len)), format_gib(out.capacity.num_bytes),
        out.capacity.num_tokens, out.capacity.num_tokens);
  }
  return out;
}

}  // namespace fovea::plan
