// ArenaCarver: lays many tensors out in one device allocation (a workspace, a KV cache layer). The same carving code
// runs twice: once without a buffer to measure the bytes (what the memory planner predicts), once over the buffer.
// Must not allocate or run ops.
#pragma once

#include <cstdint>

#include "backend/buffer.h"
#include "backend/tensor.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace fovea::model {

class ArenaCarver {
 public:
  static constexpr int64_t kAlignmentBytes = 256;  // every region starts on this boundary (GPU-friendly)

  // buffer == nullptr: measuring pass (the views have no buffer and must not be used).
  explicit ArenaCarver(backend::Buffer* buffer = nullptr) : buffer_(buffer) {}

  // The next region, packed, `shape` of `dtype`.
  backend::Tensor take(tensor::DType dtype, const tensor::Shape& shape);

  uint64_t used_bytes() const { return used_bytes_; }
  // A shape overflowed int64 arithmetic (absurd config values); used_bytes() is then meaningless.
  bool overflowed() const { return overflowed_; }

 private:
  backend::Buffer* buffer_;  // not owned; null while measuring
  uint64_t used_bytes_ = 0;
  bool overflowed_ = false;
};

// A packed view of `shape` over the first elements of `region` (same buffer, same start), for per-step views of
// fixed-capacity regions. The caller keeps shape's element count within the region's.
backend::Tensor prefix_view(const backend::Tensor& region, const tensor::Shape& shape);

}  // namespace fovea::model
