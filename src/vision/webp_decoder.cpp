// WebP decoding of still images with libwebp's default (fancy-upsampling) decoder, as PIL's WebP plugin decodes
// them; alpha, when the file declares it, is composited over white. Animated WebP is refused with a clear error.
// Must not contain other formats.
#include <webp/decode.h>

#include <vector>

#include "vision/image_decoder.h"
#include "vision/pillow_color.h"

namespace fovea::vision {

base::Result<RgbImage> decode_webp(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  FOVEA_RETURN_IF_ERROR(check_encoded_size(ImageFormat::kWebp, bytes.size(), limits));
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) {
    return base::data_loss("the WebP header cannot be read; the file is corrupt or truncated");
  }
  if (features.has_animation != 0) {
    return base::unsupported(
        "animated WebP images are not supported; send a still image (for example its first "
        "frame as PNG or JPEG)");
  }
  FOVEA_RETURN_IF_ERROR(check_dimensions(ImageFormat::kWebp, features.width, features.height, limits));

  RgbImage image;
  image.width = features.width;
  image.height = features.height;
  const auto num_pixels = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  image.pixels.resize(num_pixels * 3);
  if (features.has_alpha == 0) {
    const int stride = features.width * 3;
    if (WebPDecodeRGBInto(bytes.data(), bytes.size(), image.pixels.data(), image.pixels.size(), stride) == nullptr) {
      return base::data_loss("the WebP data is corrupt or truncated; send a complete, valid WebP file");
    }
    return image;
  }
  std::vector<uint8_t> rgba(num_pixels * 4);
  if (WebPDecodeRGBAInto(bytes.data(), bytes.size(), rgba.data(), rgba.size(), features.width * 4) == nullptr) {
    return base::data_loss("the WebP data is corrupt or truncated; send a complete, valid WebP file");
  }
  for (size_t i = 0; i < num_pixels; ++i) {
    const uint8_t alpha = rgba[i * 4 + 3];
    for (size_t c = 0; c < 3; ++c) image.pixels[i * 3 + c] = composite_over_white(rgba[i * 4 + c], alpha);
  }
  return image;
}

}  // namespace fovea::vision
