// read_device_memory and read_device_usage: host memory from sysconf; a card's from backend::cuda::cuda_device_info
// (cudaMemGetInfo). device_memory_use: the start-up summary's parts. Must not contain the sizing rule.
#include "engine/runtime/device_memory.h"

#include <unistd.h>

#include <algorithm>

#include "backend/cuda/cuda_factory.h"

namespace fovea::engine {
namespace {

uint64_t host_bytes(int pages_name) {
  const long pages = sysconf(pages_name);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
}

uint64_t available_host_bytes() { return host_bytes(_SC_AVPHYS_PAGES); }

}  // namespace

base::Result<DeviceMemory> read_device_memory(const backend::Backend& backend) {
  const backend::Device device = backend.device();
  if (device.kind == backend::DeviceKind::kCuda) {
    FOVEA_ASSIGN_OR_RETURN(backend::cuda::CudaDeviceInfo info,
                           backend::cuda::cuda_device_info(backend::device_name(device)));
    return DeviceMemory{info.total_bytes, info.free_bytes};
  }
  const auto share = static_cast<uint64_t>(static_cast<double>(available_host_bytes()) * kCpuKvShareOfAvailable);
  return DeviceMemory{share, share};
}

base::Result<DeviceUsageReading> read_device_usage(const backend::Backend& backend) {
  const backend::Device device = backend.device();
  if (device.kind == backend::DeviceKind::kCuda) {
    FOVEA_ASSIGN_OR_RETURN(backend::cuda::CudaDeviceInfo info,
                           backend::cuda::cuda_device_info(backend::device_name(device)));
    return DeviceUsageReading{info.name, true, info.total_bytes, info.free_bytes};
  }
  return DeviceUsageReading{"cpu", false, host_bytes(_SC_PHYS_PAGES), available_host_bytes()};
}

DeviceMemoryUse device_memory_use(const std::string& device, const DeviceUsageReading& reading, uint64_t weights_bytes,
                                  uint64_t workspace_bytes, uint64_t kv_cache_bytes) {
  DeviceMemoryUse use;
  use.device = device;
  use.name = reading.name;
  use.is_gpu = reading.is_gpu;
  use.total_bytes = reading.total_bytes;
  use.free_bytes = reading.free_bytes;
  use.weights_bytes = weights_bytes;
  use.workspace_bytes = workspace_bytes;
  use.kv_cache_bytes = kv_cache_bytes;
  if (reading.is_gpu) {
    const uint64_t used_bytes = reading.total_bytes - std::min(reading.free_bytes, reading.total_bytes);
    const uint64_t counted_bytes = weights_bytes + workspace_bytes + kv_cache_bytes;
    use.other_bytes = used_bytes > counted_bytes ? used_bytes - counted_bytes : 0;
  }
  return use;
}

}  // namespace fovea::engine
