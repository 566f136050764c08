// KvCacheBudget: how large the KV cache is, given one GPU's memory as cudaMemGetInfo reports it once weights,
// workspace and runtime buffers are in place. The server calls plan_kv_cache() at start-up with its measured
// reading; compute_memory_plan() calls it with the reading its estimates imply, so both size the cache with one
// rule (vLLM's: budget = total x gpu_memory_utilization, minus what is already used). Must not contain weight,
// workspace or overhead estimates (memory_plan.h) or any CUDA call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "plan/kv_cache_sizing.h"

namespace fovea::plan {

// One GPU's memory as cudaMemGetInfo reports it.
struct GpuMemoryReading {
  uint64_t total_bytes = 0;  // usable memory of the GPU
  uint64_t free_bytes = 0;   // read after the weights, workspace, CUDA context, cuBLAS and NCCL are allocated
};

// The serving settings the KV cache depends on (vLLM's flags of the same names).
struct KvCacheRequest {
  KvCacheShape shape;                   // this GPU's cache layout (kv_cache_shape)
  double gpu_memory_utilization = 0.9;  // --gpu-memory-utilization: the fraction of total_bytes the process may use
  int64_t max_model_len = 0;            // --max-model-len, or the model's max_position_embeddings when auto
  bool max_model_len_auto_fit = false;  // --max-model-len auto: shorten max_model_len to what the cache holds
  uint64_t reserved_bytes = 0;          // allocations still to come after the reading (CUDA graphs captured later)
  std::optional<uint64_t> kv_cache_memory_bytes;   // --kv-cache-memory-bytes: this size instead of the fraction
  std::optional<int64_t> num_gpu_blocks_override;  // --num-gpu-blocks-override: this many blocks
};

enum class KvCacheProblem {
  kNone,
  kNoMemoryLeft,               // what is used already (plus reserved) reaches the budget: no block fits
  kOverrideExceedsFreeMemory,  // --kv-cache-memory-bytes / --num-gpu-blocks-override ask for more than is free
  kBelowMaxModelLen,           // the cache cannot hold one max_model_len request (vLLM refuses to start)
};

struct KvCacheBudget {
  uint64_t budget_bytes = 0;     // total_bytes x gpu_memory_utilization
  uint64_t used_bytes = 0;       // total_bytes - free_bytes at the reading
  uint64_t available_bytes = 0;  // for the cache: budget - used - reserved (or the override), 0 when negative
  KvCacheCapacity capacity;      // whole blocks of available_bytes
  int64_t max_model_len = 0;     // the request's, or the shortened one under auto-fit
  double max_concurrency = 0.0;  // vLLM's "Maximum concurrency for max_model_len tokens per request"
  KvCacheProblem problem = KvCacheProblem::kNone;
  std::string message;  // when problem != kNone: the one-line start-up error, with the numbers and what to change

  bool fits() const { return problem == KvCacheProblem::kNone; }
};

// The KV cache for `reading` and `request`. Never fails: a cache that cannot serve is reported in problem/message
// (the server refuses to start with that message; `fovea plan` turns it into its verdict).
KvCacheBudget plan_kv_cache(const GpuMemoryReading& reading, const KvCacheRequest& request);

}  // namespace fovea::plan
