// read_device_memory: host memory from sysconf; a card's from backend::cuda::cuda_device_info (cudaMemGetInfo).
// Must not contain the sizing rule.
#include "engine/runtime/device_memory.h"

#include <unistd.h>

#include "backend/cuda/cuda_factory.h"

namespace fovea::engine {
namespace {

uint64_t available_host_bytes() {
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
}

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

}  // namespace fovea::engine
