// Device names for messages and logs.
#include "backend/device.h"

#include <fmt/format.h>

namespace fovea::backend {

std::string device_name(Device device) {
  if (device.kind == DeviceKind::kCpu) return "cpu";
  return fmt::format("cuda:{}", device.index);
}

}  // namespace fovea::backend
