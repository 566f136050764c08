// Normalisation and patch flattening of a resized image into the vision encoder's pixel_values (spec section 4.2):
// temporal padding of the still image to temporal_patch_size frames, merge-window row order.
// Must not contain resizing or decoding.
#pragma once

#include "base/status.h"
#include "vision/preprocess_options.h"
#include "vision/preprocessed_image.h"
#include "vision/rgb_image.h"

namespace fovea::vision {

// x = (u8 - mean / rescale_factor) / (std / rescale_factor) in float32, exactly as the torchvision backend fuses
// rescale and normalise, written in row order ((BH * (gw/m) + BW) * m + mh) * m + mw and column order
// ((C * tp + t) * ps + py) * ps + px. The image sides must be multiples of patch_size * merge_size.
base::Result<PreprocessedImage> normalize_and_patchify(const RgbImage& resized, const PreprocessOptions& options);

}  // namespace fovea::vision
