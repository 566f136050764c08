// Fuzz target for one image decoder (FOVEA_FUZZ_DECODER names it: decode_jpeg, decode_png, decode_webp,
// decode_gif); small decoded pictures also go through resize + patchify to fuzz those with odd sizes.
#include <cstddef>
#include <cstdint>

#include "base/check.h"
#include "vision/image_decoder.h"
#include "vision/image_preprocessor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fovea::vision;
  DecodeLimits limits;
  limits.max_pixels = uint64_t{1} << 22;
  limits.max_encoded_bytes = uint64_t{1} << 22;
  auto image = FOVEA_FUZZ_DECODER(std::span<const uint8_t>(data, size), limits);
  if (!image.ok()) {
    FOVEA_CHECK(!image.status().message().empty());
    return 0;
  }
  FOVEA_CHECK(image->width > 0 && image->height > 0);
  FOVEA_CHECK(image->pixels.size() == static_cast<size_t>(image->num_pixels() * 3));
  if (image->num_pixels() <= 4096) {
    PreprocessOptions options;
    options.min_pixels = 1024;
    options.max_pixels = 16384;
    auto processed = preprocess_image(*image, options);
    if (processed.ok()) {
      FOVEA_CHECK(processed->pixel_values.size() == static_cast<size_t>(processed->shape.numel()));
    }
  }
  return 0;
}
