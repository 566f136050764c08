// GpuTelemetry: what a GPU reports about itself while fovea runs on it (memory used and total, utilisation,
// temperature, power), read through NVML by src/backend/cuda/nvml_gpu_telemetry.cpp. Plain structs, no CUDA or
// NVML types, so the engine and the server can carry the readings. Must not contain NVML calls or metric names.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::backend {

// One reading of one GPU. A quantity the GPU does not report (NVML_ERROR_NOT_SUPPORTED) is nullopt.
struct GpuReading {
  int64_t gpu_idx = 0;  // the CUDA device index fovea runs on ("cuda:N"), not NVML's own numbering
  std::string name;     // "NVIDIA H100 80GB HBM3"
  uint64_t memory_total_bytes = 0;
  uint64_t memory_used_bytes = 0;           // by every process on the card, as nvidia-smi's memory.used
  std::optional<double> utilization_ratio;  // share of the last sample period a kernel ran, 0..1
  std::optional<double> temperature_celsius;
  std::optional<double> power_watts;
  std::optional<double> power_limit_watts;
};

class GpuTelemetry {
 public:
  virtual ~GpuTelemetry() = default;
  // A fresh reading (a few NVML calls, well under a millisecond); thread-safe.
  virtual base::Result<GpuReading> read() const = 0;
};

// Telemetry of the CUDA card `device_spec` names ("cuda", "cuda:N"). kUnavailable when this build has no CUDA or the
// machine no NVML library (the NVIDIA driver's libnvidia-ml.so.1): callers then simply export no GPU gauges.
base::Result<std::unique_ptr<GpuTelemetry>> open_gpu_telemetry(std::string_view device_spec);

}  // namespace fovea::backend
