// The preprocessing pipeline: glue between decoder, smart_resize, resampler and patchifier.
// Must not contain pixel loops (they live in the resampler and patchifier).
#include "vision/image_preprocessor.h"

#include "vision/bicubic_resampler.h"
#include "vision/image_decoder.h"
#include "vision/smart_resize.h"

namespace fovea::vision {

base::Result<RgbImage> resize_for_model(const RgbImage& image, const PreprocessOptions& options) {
  FOVEA_RETURN_IF_ERROR(options.validate());
  FOVEA_ASSIGN_OR_RETURN(ResizedSize size, smart_resize(image.height, image.width, options.factor(), options.min_pixels,
                                                        options.max_pixels));
  return resize_bicubic_antialias(image, size.height, size.width);
}

base::Result<PreprocessedImage> preprocess_image(const RgbImage& image, const PreprocessOptions& options) {
  FOVEA_ASSIGN_OR_RETURN(RgbImage resized, resize_for_model(image, options));
  return normalize_and_patchify(resized, options);
}

base::Result<PreprocessedImage> preprocess_image_bytes(std::span<const uint8_t> bytes, const PreprocessOptions& options,
                                                       const DecodeLimits& limits) {
  FOVEA_RETURN_IF_ERROR(options.validate());
  FOVEA_ASSIGN_OR_RETURN(RgbImage image, decode_image(bytes, limits));
  return preprocess_image(image, options);
}

}  // namespace fovea::vision
