// open_gpu_telemetry: GpuTelemetry over NVML, the NVIDIA driver's management library, opened with dlopen so the
// build needs no NVML headers or stubs and a machine without the driver just has no telemetry. The card is found by
// its PCI bus id (CUDA and NVML number cards differently under CUDA_VISIBLE_DEVICES). Compiled with or without
// FOVEA_CUDA; without it there is no telemetry. Must not contain metric names or formatting.
#include <charconv>

#include "backend/gpu_telemetry.h"

#if defined(FOVEA_HAS_CUDA)
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <array>
#endif

namespace fovea::backend {
namespace {

// "cuda" -> 0, "cuda:N" -> N; -1 for anything else.
int cuda_index_of(std::string_view spec) {
  if (spec == "cuda") return 0;
  constexpr std::string_view kPrefix = "cuda:";
  if (!spec.starts_with(kPrefix) || spec.size() == kPrefix.size()) return -1;
  const std::string_view digits = spec.substr(kPrefix.size());
  int index = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size() || index < 0) return -1;
  return index;
}

#if defined(FOVEA_HAS_CUDA)

// The slice of NVML's C ABI fovea calls (nvml.h, stable since driver 450): return codes are ints, 0 is success.
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;
constexpr unsigned kNvmlDeviceNameBufferSize = 96;

struct NvmlMemory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
// nvmlMemory_v2_t: `used` leaves out the driver's reserved memory, as nvidia-smi does.
struct NvmlMemoryV2 {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
constexpr unsigned kNvmlMemoryV2Version = static_cast<unsigned>(sizeof(NvmlMemoryV2)) | (2u << 24u);
struct NvmlUtilization {
  unsigned int gpu;
  unsigned int memory;
};

struct NvmlApi {
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*handle_by_pci_bus_id)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*memory_info)(NvmlDevice, NvmlMemory*) = nullptr;
  NvmlReturn (*memory_info_v2)(NvmlDevice, NvmlMemoryV2*) = nullptr;  // absent before driver 510
  NvmlReturn (*utilization)(NvmlDevice, NvmlUtilization*) = nullptr;
  NvmlReturn (*temperature)(NvmlDevice, int, unsigned*) = nullptr;
  NvmlReturn (*power_usage)(NvmlDevice, unsigned*) = nullptr;
  NvmlReturn (*power_limit)(NvmlDevice, unsigned*) = nullptr;
};

template <typename Fn>
bool bind(void* library, const char* symbol, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(library, symbol));
  return out != nullptr;
}

// Loads and initialises NVML once per process; it stays loaded and initialised until the process exits.
const NvmlApi* nvml_api() {
  static const NvmlApi* api = []() -> const NvmlApi* {
    void* library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return nullptr;
    static NvmlApi loaded;
    const bool ok = bind(library, "nvmlInit_v2", loaded.init) &&
                    bind(library, "nvmlDeviceGetHandleByPciBusId_v2", loaded.handle_by_pci_bus_id) &&
                    bind(library, "nvmlDeviceGetName", loaded.name) &&
                    bind(library, "nvmlDeviceGetMemoryInfo", loaded.memory_info) &&
                    bind(library, "nvmlDeviceGetUtilizationRates", loaded.utilization) &&
                    bind(library, "nvmlDeviceGetTemperature", loaded.temperature) &&
                    bind(library, "nvmlDeviceGetPowerUsage", loaded.power_usage) &&
                    bind(library, "nvmlDeviceGetEnforcedPowerLimit", loaded.power_limit);
    if (!ok || loaded.init() != kNvmlSuccess) return nullptr;
    bind(library, "nvmlDeviceGetMemoryInfo_v2", loaded.memory_info_v2);
    return &loaded;
  }();
  return api;
}

class NvmlGpuTelemetry final : public GpuTelemetry {
 public:
  NvmlGpuTelemetry(const NvmlApi& api, NvmlDevice device, int64_t gpu_idx, std::string name)
      : api_(api), device_(device), gpu_idx_(gpu_idx), name_(std::move(name)) {}

  base::Result<GpuReading> read() const override {
    GpuReading reading;
    reading.gpu_idx = gpu_idx_;
    reading.name = name_;
    NvmlMemoryV2 memory_v2{};
    memory_v2.version = kNvmlMemoryV2Version;
    if (api_.memory_info_v2 != nullptr && api_.memory_info_v2(device_, &memory_v2) == kNvmlSuccess) {
      reading.memory_total_bytes = memory_v2.total;
      reading.memory_used_bytes = memory_v2.used;
    } else {
      NvmlMemory memory{};
      if (api_.memory_info(device_, &memory) != kNvmlSuccess) {
        return base::make_error(base::StatusCode::kUnavailable, "NVML could not read the memory of GPU {} ({})",
                                gpu_idx_, name_);
      }
      reading.memory_total_bytes = memory.total;
      reading.memory_used_bytes = memory.used;
    }
    NvmlUtilization utilization{};
    if (api_.utilization(device_, &utilization) == kNvmlSuccess) reading.utilization_ratio = utilization.gpu / 100.0;
    unsigned value = 0;
    if (api_.temperature(device_, kNvmlTemperatureGpu, &value) == kNvmlSuccess) reading.temperature_celsius = value;
    if (api_.power_usage(device_, &value) == kNvmlSuccess) reading.power_watts = value / 1000.0;
    if (api_.power_limit(device_, &value) == kNvmlSuccess) reading.power_limit_watts = value / 1000.0;
    return reading;
  }

 private:
  const NvmlApi& api_;
  NvmlDevice device_;  // NVML's handle, valid while NVML is initialised (for the process)
  int64_t gpu_idx_;
  std::string name_;
};

#endif

}  // namespace

base::Result<std::unique_ptr<GpuTelemetry>> open_gpu_telemetry(std::string_view device_spec) {
  const int cuda_idx = cuda_index_of(device_spec);
  if (cuda_idx < 0) {
    return base::invalid_argument("GPU telemetry needs a CUDA device (cuda or cuda:N), not '{}'", device_spec);
  }
#if defined(FOVEA_HAS_CUDA)
  const NvmlApi* api = nvml_api();
  if (api == nullptr) {
    return base::make_error(base::StatusCode::kUnavailable,
                            "NVML (libnvidia-ml.so.1, part of the NVIDIA driver) could not be loaded; GPU gauges are "
                            "not exported");
  }
  std::array<char, 32> bus_id{};
  if (cudaDeviceGetPCIBusId(bus_id.data(), static_cast<int>(bus_id.size()), cuda_idx) != cudaSuccess) {
    cudaGetLastError();
    return base::make_error(base::StatusCode::kUnavailable, "CUDA has no device {} to read telemetry from", cuda_idx);
  }
  NvmlDevice device = nullptr;
  if (api->handle_by_pci_bus_id(bus_id.data(), &device) != kNvmlSuccess) {
    return base::make_error(base::StatusCode::kUnavailable, "NVML does not know the GPU at PCI bus id {}",
                            bus_id.data());
  }
  std::array<char, kNvmlDeviceNameBufferSize> name{};
  if (api->name(device, name.data(), static_cast<unsigned>(name.size())) != kNvmlSuccess) name[0] = '\0';
  return std::unique_ptr<GpuTelemetry>(std::make_unique<NvmlGpuTelemetry>(*api, device, cuda_idx, name.data()));
#else
  return base::make_error(base::StatusCode::kUnavailable,
                          "this fovea was built without CUDA (FOVEA_CUDA=OFF), so it reads no GPU telemetry");
#endif
}

}  // namespace fovea::backend
