// The vision encoder's per-step budget: how many patches one engine step encodes (the workspace the model
// allocates for them), the largest image that fits (bigger ones are resized down), and the encoder cache's size.
// Shared by the planner (plan::vision_workspace) and the engine, so a plan matches what the server allocates.
// Must not contain memory formulas (plan) or allocation (model).
#pragma once

#include <cstdint>

#include "io/model_config.h"

namespace fovea::io {

// Patches the vision workspace holds: one 2048x2048 image (4,096 LLM tokens at merge 2), or several smaller ones.
inline constexpr int64_t kMaxVisionPatchesPerStep = 16384;

struct VisionStepBudget {
  int64_t max_patches_per_step = 0;   // vision-tower patches one step encodes (and the workspace holds)
  int64_t max_pixels_per_image = 0;   // the pixel ceiling that keeps one image within max_patches_per_step
  int64_t encoder_cache_tokens = 0;   // LLM tokens of image embeddings the encoder cache holds
};

// Twice the larger of one step's prompt tokens and one full encoder step's output, so an image being prefilled in
// chunks stays cached while the next one is encoded.
VisionStepBudget vision_step_budget(const VisionConfig& vision, int64_t max_num_batched_tokens);

// Bytes one cached image token takes: the merged embedding and one row per DeepStack level.
uint64_t encoder_cache_bytes_per_token(const VisionConfig& vision, int activation_bytes);

}  // namespace fovea::io
