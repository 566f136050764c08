// PreprocessOptions: the image-processor settings the caller takes from preprocessor_config.json (or a request's
// mm_processor_kwargs). Defaults are the Qwen3-VL checkpoints' values (spec section 4.1), not the class defaults.
// Must not contain config-file parsing (another module reads the files).
#pragma once

#include <array>
#include <cstdint>

#include "base/status.h"

namespace fovea::vision {

struct PreprocessOptions {
  int64_t min_pixels = 65536;     // size.shortest_edge (64 * 32 * 32)
  int64_t max_pixels = 16777216;  // size.longest_edge (16384 * 32 * 32)
  int64_t patch_size = 16;
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  std::array<double, 3> image_mean = {0.5, 0.5, 0.5};
  std::array<double, 3> image_std = {0.5, 0.5, 0.5};
  double rescale_factor = 1.0 / 255.0;

  // smart_resize's multiple: patch_size * merge_size.
  int64_t factor() const { return patch_size * merge_size; }
  // Floats per pixel_values row: 3 * temporal_patch_size * patch_size^2.
  int64_t patch_dim() const { return 3 * temporal_patch_size * patch_size * patch_size; }

  // Checks ranges; the error names the field and the accepted range.
  base::Status validate() const;
};

}  // namespace fovea::vision
