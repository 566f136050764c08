// DeviceMemory and read_device_memory: the memory the KV-cache rule divides, read once the weights and workspaces
// are allocated: a CUDA card's free and total bytes as the driver reports them, or on the CPU the share of free host
// memory the cache may take. read_device_usage: the plain readings for the start-up summary. Must not contain the
// sizing rule (plan::plan_kv_cache, through EngineConfig).
#pragma once

#include <cstdint>
#include <string>

#include "backend/backend.h"
#include "base/status.h"
#include "engine/runtime/engine.h"

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

// A device's memory as it is, without the CPU share: a card's total and free bytes (cudaMemGetInfo) and its name, or
// the host's physical and available memory and "cpu".
struct DeviceUsageReading {
  std::string name;
  bool is_gpu = false;
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
};
base::Result<DeviceUsageReading> read_device_usage(const backend::Backend& backend);

// The start-up summary of `device` from a reading taken once everything is allocated and the bytes fovea allocated
// for each part: on a GPU the remainder of the used memory is other_bytes (see DeviceMemoryUse).
DeviceMemoryUse device_memory_use(const std::string& device, const DeviceUsageReading& reading, uint64_t weights_bytes,
                                  uint64_t workspace_bytes, uint64_t kv_cache_bytes);

}  // namespace fovea::engine
