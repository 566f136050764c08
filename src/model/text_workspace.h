// TextWorkspace: every intermediate buffer of the decoder, carved once from one allocation sized for TextLimits,
// so a step allocates nothing. The same carving measures the byte count the memory planner predicts. Under tensor
// parallelism the widths are one rank's (rank_text_config) plus the vocabulary-parallel logits' gather buffers and,
// with a bf16/f16 activation, the f32 row-parallel partial sums. Must not contain forward code.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/backend.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/arena_carver.h"
#include "model/model_options.h"

namespace fovea::model {

// The vocabulary-parallel logits of one rank (tensor parallelism): lm_head gives vocab_rows_per_rank columns,
// gathered over tp_size ranks, of which the first vocab_size are the logits. tp_size 1: no gather. tp_size > 1 also
// carves TextWorkspace::partial when the activation is not f32.
struct LogitsSplit {
  int64_t tp_size = 1;
  int64_t vocab_rows_per_rank = 0;  // io::TensorParallelLayout::vocab_rows_per_rank(); unused at tp_size 1
};

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
  backend::Tensor logits_act;   // [Bmax, vocab] act (only when act is not f32, at tp_size 1)
  backend::Tensor logits;       // [Bmax, vocab] f32
  // Tensor parallelism only (tp_size > 1): this rank's lm_head columns, all ranks' side by side, and the gather's
  // rank-major landing area.
  backend::Tensor logits_local;     // [Bmax, vocab_rows_per_rank] act
  backend::Tensor logits_gathered;  // [Bmax, tp_size * vocab_rows_per_rank] act
  backend::Tensor gather_staging;   // [Bmax * tp_size * vocab_rows_per_rank] act
  // Tensor parallelism with a bf16/f16 activation only: o_proj's and down_proj's partial sums, all-reduced in f32
  // and rounded once into `normed` (TP=1 rounds its one f32 sum once the same way; docs/TENSOR_PARALLEL.md).
  backend::Tensor partial;  // [Tmax, H] f32

  // Carves the regions for `limits` (measuring when the carver has no buffer). `config` is the rank's
  // (rank_text_config: heads and MLP width per rank; vocab_size the whole vocabulary).
  static TextWorkspace carve(ArenaCarver& carver, const io::TextConfig& config, tensor::DType act,
                             const TextLimits& limits, const LogitsSplit& split = {});
};

// Elements of TextWorkspace::metadata: room for every array at the limits, each starting on kMetadataAlignment.
inline constexpr int64_t kMetadataAlignment = 16;  // i32 elements (64 bytes)
int64_t text_metadata_capacity(const TextLimits& limits);

// Bytes of the workspace for these limits; an error for limits below 1 or too large to address.
base::Result<uint64_t> text_workspace_bytes(const io::TextConfig& config, tensor::DType act, const TextLimits& limits,
                                            const LogitsSplit& split = {});

}  // namespace fovea::model
