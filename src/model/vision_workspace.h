// VisionWorkspace: every intermediate buffer of the vision encoder, carved once from one allocation sized for the
// patches of one encode() call. The same carving measures the byte count the memory planner predicts. With the
// weights split over `num_shards` tensor-parallel ranks (--mm-encoder-tp-mode weights) the head and MLP buffers hold
// one rank's columns, and a bf16/f16 activation adds the f32 buffer of the row-parallel partial sums.
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
  backend::Tensor qkv;         // [Nmax, 3 Hv / S] act (S: num_shards)
  backend::Tensor attn;        // [Nmax, Hv / S] act: attention output, then merger fc1 output [Nmax / m^2, m^2 Hv / S]
  backend::Tensor mlp;         // [Nmax, Iv / S] act
  backend::Tensor cos;         // [Nmax, Hv / heads] f32
  backend::Tensor sin;         // [Nmax, Hv / heads] f32
  // S > 1 with a bf16/f16 activation only: the partial sums of attn.proj, mlp.linear_fc2 ([Nmax, Hv]) and the
  // mergers' linear_fc2 ([Nmax / m^2, out_hidden]), all-reduced in f32 and rounded once (docs/TENSOR_PARALLEL.md).
  backend::Tensor partial;  // [vision_partial_elements] f32, viewed with prefix_view

  // `num_shards` must divide the vision heads and widths (io::TensorParallelLayout checks it first).
  static VisionWorkspace carve(ArenaCarver& carver, const io::VisionConfig& config, tensor::DType act,
                               int64_t max_num_patches, int64_t num_shards = 1);
};

// Elements of VisionWorkspace::partial at S > 1: the larger of the blocks' [Nmax, Hv] and the mergers' outputs.
int64_t vision_partial_elements(const io::VisionConfig& config, int64_t max_num_patches);

// Bytes of device workspace for max_num_patches patches per encode() call on one of `num_shards` ranks.
base::Result<uint64_t> vision_workspace_bytes(const io::VisionConfig& config, tensor::DType act,
                                              int64_t max_num_patches, int64_t num_shards = 1);

}  // namespace fovea::model
