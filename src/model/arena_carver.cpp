// ArenaCarver: aligned, overflow-checked region offsets inside one buffer.
#include "model/arena_carver.h"

#include "base/check.h"
#include "base/checked_math.h"

namespace fovea::model {

backend::Tensor ArenaCarver::take(tensor::DType dtype, const tensor::Shape& shape) {
  backend::Tensor view;
  view.buffer = buffer_;
  view.dtype = dtype;
  view.shape = shape;
  const std::optional<int64_t> numel = shape.checked_numel();
  const std::optional<uint64_t> bytes =
      numel ? base::checked_mul(static_cast<uint64_t>(*numel), static_cast<uint64_t>(tensor::dtype_size_bytes(dtype)))
            : std::nullopt;
  const uint64_t start = (used_bytes_ + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
  const std::optional<uint64_t> end = bytes ? base::checked_add(start, *bytes) : std::nullopt;
  if (!end || *end > static_cast<uint64_t>(INT64_MAX) || overflowed_) {
    overflowed_ = true;
    return view;
  }
  view.offset_bytes = static_cast<int64_t>(start);
  used_bytes_ = *end;
  FOVEA_CHECK(buffer_ == nullptr || used_bytes_ <= buffer_->size_bytes(), "arena of {} bytes carved past its end",
              buffer_->size_bytes());
  return view;
}

backend::Tensor prefix_view(const backend::Tensor& region, const tensor::Shape& shape) {
  FOVEA_CHECK(shape.numel() <= region.numel(), "view {} does not fit its region {}", shape.to_string(),
              region.shape.to_string());
  backend::Tensor view = region;
  view.shape = shape;
  view.row_stride = 0;
  return view;
}

}  // namespace fovea::model
