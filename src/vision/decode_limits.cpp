// Limit checks shared by the decoders, with errors that name the limit and how to get under it.
// Must not contain decoding.
#include "vision/decode_limits.h"

#include "base/checked_math.h"

namespace fovea::vision {

base::Status check_encoded_size(ImageFormat format, uint64_t num_bytes, const DecodeLimits& limits) {
  if (num_bytes > limits.max_encoded_bytes) {
    return base::out_of_range(
        "the {} image is {} bytes, more than the limit of {} bytes; send a smaller file (re-encode or downscale "
        "it) or raise the image size limit",
        image_format_name(format), num_bytes, limits.max_encoded_bytes);
  }
  return base::Status();
}

base::Status check_dimensions(ImageFormat format, int64_t width, int64_t height, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) {
    return base::data_loss("the {} image header gives an empty size {}x{}; the file is corrupt",
                           image_format_name(format), width, height);
  }
  std::optional<int64_t> num_pixels = base::checked_mul(width, height);
  if (!num_pixels || static_cast<uint64_t>(*num_pixels) > limits.max_pixels) {
    return base::out_of_range(
        "the {} image is {}x{} pixels, more than the limit of {} pixels; downscale it before sending or raise "
        "the image pixel limit",
        image_format_name(format), width, height, limits.max_pixels);
  }
  return base::Status();
}

}  // namespace fovea::vision
