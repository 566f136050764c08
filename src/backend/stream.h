// Stream: an ordered queue of work on one device. Ops are enqueued on a stream and may run after the call
// returns (CUDA); the CPU stream runs every op to completion inside the call. Synchronize through the Backend.
// Must not contain ops or memory management.
#pragma once

#include "backend/device.h"

namespace fovea::backend {

class Stream {
 public:
  virtual ~Stream() = default;
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  virtual Device device() const = 0;
};

}  // namespace fovea::backend
