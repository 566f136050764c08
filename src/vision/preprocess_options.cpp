// Validation of PreprocessOptions with errors that name the preprocessor_config field.
// Must not contain config-file parsing.
#include "vision/preprocess_options.h"

#include <cmath>

namespace fovea::vision {
namespace {

// 2^28 pixels is 16x the Qwen3-VL budget; larger settings would allocate gigabytes per image.
constexpr int64_t kMaxPixelsLimit = int64_t{1} << 28;

}  // namespace

base::Status PreprocessOptions::validate() const {
  if (patch_size < 1 || patch_size > 64) {
    return base::invalid_argument("patch_size is {}; it must be between 1 and 64", patch_size);
  }
  if (merge_size < 1 || merge_size > 8) {
    return base::invalid_argument("merge_size is {}; it must be between 1 and 8", merge_size);
  }
  if (temporal_patch_size < 1 || temporal_patch_size > 8) {
    return base::invalid_argument("temporal_patch_size is {}; it must be between 1 and 8", temporal_patch_size);
  }
  if (min_pixels < 1 || max_pixels < min_pixels || max_pixels > kMaxPixelsLimit) {
    return base::invalid_argument(
        "min_pixels is {} and max_pixels is {}; they need 1 <= min_pixels <= max_pixels <= {} (size.shortest_edge "
        "and size.longest_edge of preprocessor_config.json)",
        min_pixels, max_pixels, kMaxPixelsLimit);
  }
  if (!(rescale_factor > 0.0) || !std::isfinite(rescale_factor)) {
    return base::invalid_argument("rescale_factor is {}; it must be a positive number such as 1/255", rescale_factor);
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(image_mean[c]) || !std::isfinite(image_std[c]) || image_std[c] == 0.0) {
      return base::invalid_argument(
          "image_mean[{}] is {} and image_std[{}] is {}; both must be finite and the std "
          "non-zero",
          c, image_mean[c], c, image_std[c]);
    }
  }
  return base::Status();
}

}  // namespace fovea::vision
