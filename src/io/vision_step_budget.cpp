// vision_step_budget: the one rule for the vision encoder's per-step patches and encoder cache (see the header).
#include "io/vision_step_budget.h"

#include <algorithm>

namespace fovea::io {

VisionStepBudget vision_step_budget(const VisionConfig& vision, int64_t max_num_batched_tokens) {
  VisionStepBudget budget;
  budget.max_patches_per_step = kMaxVisionPatchesPerStep;
  budget.max_pixels_per_image = kMaxVisionPatchesPerStep * vision.patch_size * vision.patch_size;
  const int64_t merge_area = std::max<int64_t>(vision.spatial_merge_size * vision.spatial_merge_size, 1);
  budget.encoder_cache_tokens =
      std::max(std::max<int64_t>(max_num_batched_tokens, 0), kMaxVisionPatchesPerStep / merge_area) * 2;
  return budget;
}

uint64_t encoder_cache_bytes_per_token(const VisionConfig& vision, int activation_bytes) {
  const uint64_t rows = 1 + vision.deepstack_visual_indexes.size();
  return static_cast<uint64_t>(std::max<int64_t>(vision.out_hidden_size, 0)) * rows *
         static_cast<uint64_t>(std::max(activation_bytes, 0));
}

}  // namespace fovea::io
