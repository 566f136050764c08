// The Qwen-VL image preprocessing pipeline: smart_resize, antialiased bicubic resize, normalise, patchify. The
// result is what the vision encoder takes (pixel_values, image_grid_thw) and how many placeholder tokens the prompt
// gets. Must not contain decoding details or model code.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "vision/decode_limits.h"
#include "vision/patchifier.h"
#include "vision/preprocess_options.h"
#include "vision/rgb_image.h"

namespace fovea::vision {

// smart_resize + resize_bicubic_antialias: the uint8 image the processor normalises.
base::Result<RgbImage> resize_for_model(const RgbImage& image, const PreprocessOptions& options);

// The whole pipeline on a decoded image.
base::Result<PreprocessedImage> preprocess_image(const RgbImage& image, const PreprocessOptions& options);

// Decode (format from magic bytes, with limits) then preprocess.
base::Result<PreprocessedImage> preprocess_image_bytes(std::span<const uint8_t> bytes, const PreprocessOptions& options,
                                                       const DecodeLimits& limits = {});

}  // namespace fovea::vision
