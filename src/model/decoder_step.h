// DecoderStep: the inputs of one decoder forward in varlen layout, as the model runner builds them from the
// scheduler's output (host arrays; the decoder copies them into its preallocated device metadata).
// Must not contain forward code.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/tensor.h"

namespace fovea::model {

// Vision rows for a run of consecutive batch rows [first_row, first_row + n): they replace those rows' token
// embeddings before layer 0, and deepstack[l] is added to their hidden states after decoder layer l (spec §2.3).
// A chunk that covers part of an image passes the matching slice_rows of the image's embeddings.
struct VisualRows {
  backend::Tensor embeds;                  // [n, hidden_size] act (the decoder's activation dtype)
  std::vector<backend::Tensor> deepstack;  // [num_deepstack] x [n, hidden_size] act; empty for none
  int64_t first_row = 0;                   // batch row (index into token_ids) of embeds' row 0
};

// One step: B sequences, T tokens. Sequence b owns batch rows [query_start_loc[b], query_start_loc[b + 1]) and has
// seq_lens[b] tokens in the cache after this step (the new ones included). The spans must stay valid until
// forward returns (the decoder packs them into its own staging and uploads that in one copy).
struct DecoderStep {
  std::span<const int32_t> token_ids;        // [T]
  std::span<const int32_t> positions;        // qwen3: [T]; qwen3_vl: [3 * T], rows t, h, w (mrope_positions.h)
  std::span<const int32_t> slot_mapping;     // [T] block_id * block_size + offset; negative: do not store
  std::span<const int32_t> query_start_loc;  // [B + 1], 0 first, T last
  std::span<const int32_t> seq_lens;         // [B]
  std::span<const int32_t> block_tables;     // [B * blocks_per_seq], row-major
  int64_t blocks_per_seq = 0;                // width of a block_tables row
  int max_query_len = 0;                     // >= every chunk length
  int max_seq_len = 0;                       // >= every seq_lens[b]
  std::span<const int32_t> logits_rows;      // [num_logits] batch rows whose logits are wanted, e.g. last tokens
  std::vector<VisualRows> visual;            // image placeholder rows of this step
};

}  // namespace fovea::model
