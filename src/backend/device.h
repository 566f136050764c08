// Device: which processor a buffer, stream or op table belongs to (the CPU, or one CUDA card by index).
// Must not contain allocation or anything specific to one backend.
#pragma once

#include <cstdint>
#include <string>

namespace fovea::backend {

enum class DeviceKind : uint8_t {
  kCpu,
  kCuda,
};

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;  // card number for kCuda; always 0 for kCpu

  bool operator==(const Device& other) const = default;
};

// "cpu", "cuda:1".
std::string device_name(Device device);

}  // namespace fovea::backend
