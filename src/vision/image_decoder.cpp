// decode_image: format detection and dispatch to the per-format decoders.
// Must not contain format-specific code.
#include "vision/image_decoder.h"

#include "vision/image_format.h"

namespace fovea::vision {

base::Result<RgbImage> decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  FOVEA_ASSIGN_OR_RETURN(ImageFormat format, detect_image_format(bytes));
  switch (format) {
    case ImageFormat::kJpeg:
      return decode_jpeg(bytes, limits);
    case ImageFormat::kPng:
      return decode_png(bytes, limits);
    case ImageFormat::kWebp:
      return decode_webp(bytes, limits);
    case ImageFormat::kGif:
      return decode_gif(bytes, limits);
  }
  return base::internal_error("unhandled image format {}", static_cast<int>(format));
}

}  // namespace fovea::vision
