// VisionWeights: the Qwen3-VL vision tower's tensors (patch embedding, position table, blocks, merger, DeepStack
// mergers) as backend views, loaded by Hugging Face name (model.visual.*) with shapes from config.json.
// Must not contain forward code.
#pragma once

#include <vector>

#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/weight_loader.h"

namespace fovea::model {

struct VisionBlockWeights {
  backend::Tensor norm1_weight;  // [Hv]
  backend::Tensor norm1_bias;    // [Hv]
  backend::Weight qkv;           // [3 Hv, Hv]: rows q (head-major), then k, then v
  backend::Tensor qkv_bias;      // [3 Hv]
  backend::Weight proj;          // [Hv, Hv]
  backend::Tensor proj_bias;     // [Hv]
  backend::Tensor norm2_weight;  // [Hv]
  backend::Tensor norm2_bias;    // [Hv]
  backend::Weight fc1;           // [Iv, Hv]
  backend::Tensor fc1_bias;      // [Iv]
  backend::Weight fc2;           // [Hv, Iv]
  backend::Tensor fc2_bias;      // [Hv]
};

// A patch merger: LayerNorm (over Hv per patch, or over the 4 Hv concatenation when postshuffle), fc1, erf-GELU, fc2.
struct PatchMergerWeights {
  bool postshuffle_norm = false;
  backend::Tensor norm_weight;  // [Hv] or [4 Hv] (postshuffle)
  backend::Tensor norm_bias;
  backend::Weight fc1;       // [4 Hv, 4 Hv]
  backend::Tensor fc1_bias;  // [4 Hv]
  backend::Weight fc2;       // [out_hidden_size, 4 Hv]
  backend::Tensor fc2_bias;  // [out_hidden_size]
};

struct VisionWeights {
  backend::Weight patch_embed;       // [Hv, 3 * tp * ps * ps] (the Conv3d kernel as a matrix)
  backend::Tensor patch_embed_bias;  // [Hv]
  backend::Tensor pos_embed;         // [num_position_embeddings, Hv]
  std::vector<VisionBlockWeights> blocks;
  PatchMergerWeights merger;
  std::vector<PatchMergerWeights> deepstack_mergers;  // one per deepstack_visual_indexes entry
};

// Checks what the encoder supports (square position table, GELU kinds, merge size) and loads every tensor.
base::Result<VisionWeights> load_vision_weights(WeightLoader& loader, const io::VisionConfig& config);

}  // namespace fovea::model
