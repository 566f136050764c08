// PreprocessedImage: what the vision encoder takes for one image (pixel_values, image_grid_thw) and how many
// placeholder tokens the prompt gets for it. Must not contain preprocessing code.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/shape.h"
#include "tensor/tensor_view.h"

namespace fovea::vision {

struct PreprocessedImage {
  std::vector<float> pixel_values;              // [num_patches, 3 * temporal_patch_size * patch_size^2] f32
  tensor::Shape shape;                          // {num_patches, patch_dim}
  std::array<int64_t, 3> grid_thw = {0, 0, 0};  // [t, h, w] in patches, not merged (image_grid_thw)
  int64_t num_tokens = 0;                       // <|image_pad|> tokens for the LLM: t * h * w / merge_size^2

  tensor::TensorView view() const { return {pixel_values.data(), tensor::DType::kF32, shape}; }
};

}  // namespace fovea::vision
