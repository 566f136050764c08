// TextWorkspace: every intermediate buffer of the decoder, carved once from one allocation sized for TextLimits,
// so a step allocates nothing. The same carving measures the byte count the memory planner predicts.
// Must not contain forward code.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/backend.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/arena_carver.h"
#include "model/model_options.h"

namespace fovea::model {

struct TextWorkspace {
  // Step metadata: token ids, positions, slot mapping, query_start_loc, seq_lens, logits rows and block tables of
  // one step packed one after the other (text_decoder.cpp lays them out), so a step uploads them in one copy.
  backend::Tensor metadata;  // [text_metadata_capacity(limits)] i32
  // Activations of the layer loop.
  backend::Tensor hidden;  // [Tmax, H] act: the residual stream
  backend::Tensor normed;  // [Tmax, H] act: norm outputs, then o_proj / down_proj outputs
  backend::Tensor qkv;     // [Tmax, (nh + 2 nkv) hd] act: q, k, v side by side
  backend::Tensor attn;    // [Tmax, nh * hd] act
  backend::Tensor gate;    // [Tmax, I] act: gate projection, then silu(gate) * up in place
  backend::Tensor up;      // [Tmax, I] act (a separate region: swiglu may write over gate only when up's
                           // bytes do not interleave with it)
  backend::Tensor cos;     // [Tmax, hd] f32
  backend::Tensor sin;     // [Tmax, hd] f32
  // Logits of the requested rows.
  backend::Tensor last_hidden;  // [Bmax, H] act
  backend::Tensor logits_act;   // [Bmax, vocab] act (only when act is not f32)
  backend::Tensor logits;       // [Bmax, vocab] f32

  // Carves the regions for `limits` (measuring when the carver has no buffer).
  static TextWorkspace carve(ArenaCarver& carver, const io::TextConfig& config, tensor::DType act,
                             const TextLimits& limits);
};

// Elements of TextWorkspace::metadata: room for every array at the limits, each starting on kMetadataAlignment.
inline constexpr int64_t kMetadataAlignment = 16;  // i32 elements (64 bytes)
int64_t text_metadata_capacity(const TextLimits& limits);

// Bytes of the workspace for these limits; an error for limits below 1 or too large to address.
base::Result<uint64_t> text_workspace_bytes(const io::TextConfig& config, tensor::DType act, const TextLimits& limits);

}  // namespace fovea::model
