// normalize_and_patchify: a per-channel lookup table of the 256 normalised values (bit-identical to computing each
// pixel), then one pass over the merge windows writing each pixel_values row once. Must not contain resizing.
#include "vision/patchifier.h"

#include <algorithm>
#include <array>

namespace fovea::vision {

base::Result<PreprocessedImage> normalize_and_patchify(const RgbImage& resized, const PreprocessOptions& options) {
  FOVEA_RETURN_IF_ERROR(options.validate());
  const int64_t factor = options.factor();
  if (resized.width <= 0 || resized.height <= 0 || resized.width % factor != 0 || resized.height % factor != 0 ||
      resized.pixels.size() != static_cast<size_t>(resized.width * resized.height * 3)) {
    return base::invalid_argument("cannot patchify a {}x{} image: both sides must be positive multiples of {}",
                                  resized.width, resized.height, factor);
  }
  const int64_t ps = options.patch_size;
  const int64_t merge = options.merge_size;
  const int64_t num_frames = options.temporal_patch_size;
  const int64_t grid_h = resized.height / ps;
  const int64_t grid_w = resized.width / ps;
  const int64_t patch_dim = options.patch_dim();

  // The torchvision backend folds rescale into mean and std in float32: mean * (1 / rescale_factor).
  const auto inverse_rescale = static_cast<float>(1.0 / options.rescale_factor);
  std::array<std::array<float, 256>, 3> lut;
  for (int c = 0; c < 3; ++c) {
    const float mean = static_cast<float>(options.image_mean[c]) * inverse_rescale;
    const float deviation = static_cast<float>(options.image_std[c]) * inverse_rescale;
    for (int v = 0; v < 256; ++v) lut[c][v] = (static_cast<float>(v) - mean) / deviation;
  }

  PreprocessedImage out;
  const int64_t num_patches = grid_h * grid_w;
  out.shape = tensor::Shape{num_patches, patch_dim};
  out.grid_thw = {1, grid_h, grid_w};
  out.num_tokens = num_patches / (merge * merge);
  out.pixel_values.resize(static_cast<size_t>(num_patches * patch_dim));

  float* row = out.pixel_values.data();
  const uint8_t* pixels = resized.pixels.data();
  for (int64_t block_y = 0; block_y < grid_h / merge; ++block_y) {
    for (int64_t block_x = 0; block_x < grid_w / merge; ++block_x) {
      for (int64_t my = 0; my < merge; ++my) {
        for (int64_t mx = 0; mx < merge; ++mx, row += patch_dim) {
          const int64_t y0 = (block_y * merge + my) * ps;
          const int64_t x0 = (block_x * merge + mx) * ps;
          for (int64_t c = 0; c < 3; ++c) {
            float* channel = row + c * num_frames * ps * ps;
            for (int64_t py = 0; py < ps; ++py) {
              const uint8_t* src = pixels + ((y0 + py) * resized.width + x0) * 3 + c;
              float* dst = channel + py * ps;
              for (int64_t px = 0; px < ps; ++px) dst[px] = lut[c][src[px * 3]];
            }
            // A still image is its own temporal neighbour: frames 1..tp-1 repeat frame 0.
            for (int64_t t = 1; t < num_frames; ++t) std::copy(channel, channel + ps * ps, channel + t * ps * ps);
          }
        }
      }
    }
  }
  return out;
}

}  // namespace fovea::vision
