// VisionWorkspace: every intermediate buffer of the vision encoder, carved once from one allocation sized for the
// patches of one encode() call. The same carving measures the byte count the memory planner predicts.
// Must not contain forward code.
#pragma once

#include <cstdint>

#include "backend/tensor.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/arena_carver.h"

namespace fovea::model {

struct VisionWorkspace {
  backend::Tensor pixels;      // [Nmax, patch_dim] act
  backend::Tensor pos;         // [Nmax, Hv] act: the resampled position table
  backend::Tensor coords;      // [2 * Nmax] i32: patch rows, then patch cols (rotary positions)
  backend::Tensor cu_seqlens;  // [Nmax + 1] i32
  backend::Tensor x;           // [Nmax, Hv] act: the residual stream
  backend::Tensor normed;      // [Nmax, Hv] act: norm and projection outputs
  backend::Tensor qkv;         // [Nmax, 3 Hv] act
  backend::Tensor attn;        // [Nmax, Hv] act: attention output, then merger fc1 output [Nmax / m^2, m^2 Hv]
  backend::Tensor mlp;         // [Nmax, Iv] act
  backend::Tensor cos;         // [Nmax, Hv / heads] f32
  backend::Tensor sin;         // [Nmax, Hv / heads] f32

  static VisionWorkspace carve(ArenaCarver& carver, const io::VisionConfig& config, tensor::DType act,
                               int64_t max_num_patches);
};

// Bytes of device workspace for max_num_patches patches per encode() call.
base::Result<uint64_t> vision_workspace_bytes(const io::VisionConfig& config, tensor::DType act,
                                              int64_t max_num_patches);

}  // namespace fovea::model
