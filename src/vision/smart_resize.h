// smart_resize: the target size of an image for the Qwen2-VL / Qwen3-VL image processor (spec section 4.1),
// bit-for-bit as transformers' qwen2_vl smart_resize computes it in the installed version.
// Must not contain pixel work.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace fovea::vision {

struct ResizedSize {
  int64_t height = 0;
  int64_t width = 0;
};

// Both sides become multiples of `factor` (patch_size * merge_size) near the original aspect ratio, with the pixel
// count brought into [min_pixels, max_pixels] (Python's round-half-even, then floor/ceil with sqrt scaling; the
// floor branch keeps at least one factor per side). Errors: an empty side, an aspect ratio above 200 (transformers
// raises), non-positive parameters, or sizes too large to compute exactly.
base::Result<ResizedSize> smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels,
                                       int64_t max_pixels);

}  // namespace fovea::vision
