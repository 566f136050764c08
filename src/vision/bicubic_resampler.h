// Antialiased bicubic resize of 8-bit RGB, matching torchvision.transforms.v2.functional.resize(BICUBIC,
// antialias=True) on a uint8 tensor on the CPU (torch's separable PIL-style kernel), which is what the Qwen2-VL
// image processor of transformers 5 calls. Must not contain sizing policy (smart_resize) or normalisation.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "vision/rgb_image.h"

namespace fovea::vision {

// Keys cubic (a = -0.5) with its support widened by the down-scale ratio, weights normalised per output pixel and
// quantised to int16 with torch's per-axis precision, a horizontal pass then a vertical pass (each only when that
// side changes), each rounded and clamped to uint8. A same-size request returns a copy.
base::Result<RgbImage> resize_bicubic_antialias(const RgbImage& image, int64_t out_height, int64_t out_width);

}  // namespace fovea::vision
