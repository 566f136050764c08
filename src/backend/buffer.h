// Buffer: one block of device memory, made by a Backend and freed when its owner drops the unique_ptr.
// A buffer may also wrap memory it does not own (a mapped weight file), then it is read-only.
// Must not contain element types or shapes: those belong to the Tensor views over it.
#pragma once

#include <cstddef>

#include "backend/device.h"

namespace fovea::backend {

class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  virtual Device device() const = 0;
  // Device address of the first byte; host-addressable only when device().kind is kCpu.
  virtual void* data() const = 0;
  virtual size_t size_bytes() const = 0;
  // True for wrapped memory that must not be written (e.g. a read-only mapping): ops refuse it as an output.
  virtual bool read_only() const = 0;
};

}  // namespace fovea::backend
