// DeviceMemory and read_device_memory: the memory the KV-cache rule divides, read once the weights and workspaces
// are allocated: a CUDA card's free and total bytes as the driver reports them, or on the CPU the share of free host
// memory the cache may take. Must not contain the sizing rule (plan::plan_kv_cache, through EngineConfig).
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "base/status.h"

namespace fovea::engine {

struct DeviceMemory {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
};

// The KV cache's share of free host memory on the CPU (before --gpu-memory-utilization applies).
inline constexpr double kCpuKvShareOfAvailable = 0.5;

// CUDA: cudaMemGetInfo on the backend's card. CPU: kCpuKvShareOfAvailable of the free host memory, as both total
// and free (so the rule's budget is that share times the utilization).
base::Result<DeviceMemory> read_device_memory(const backend::Backend& backend);

}  // namespace fovea::engine
