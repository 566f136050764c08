// TextWorkspace layout: metadata first, then activations, then the logits of the requested rows, then (tensor
// parallelism only) the buffers TP=1 does not have, so TP=1's layout is the same with or without them.
#include "model/text_workspace.h"

#include <cstdint>

namespace fovea::model {

TextWorkspace TextWorkspace::carve(ArenaCarver& carver, const io::TextConfig& config, tensor::DType act,
                                   const TextLimits& limits, const LogitsSplit& split) {
  using tensor::DType;
  const int64_t tokens = limits.max_num_batched_tokens;
  const int64_t seqs = limits.max_num_seqs;
  const int64_t hidden = config.hidden_size;
  const int64_t hd = config.head_dim;
  TextWorkspace ws;
  ws.metadata = carver.take(DType::kI32, {text_metadata_capacity(limits)});
  ws.hidden = carver.take(act, {tokens, hidden});
  ws.normed = carver.take(act, {tokens, hidden});
  ws.qkv = carver.take(act, {tokens, (config.num_attention_heads + 2 * config.num_key_value_heads) * hd});
  ws.attn = carver.take(act, {tokens, config.num_attention_heads * hd});
  ws.gate = carver.take(act, {tokens, config.intermediate_size});
  ws.up = carver.take(act, {tokens, config.intermediate_size});
  ws.cos = carver.take(DType::kF32, {tokens, hd});
  ws.sin = carver.take(DType::kF32, {tokens, hd});
  ws.last_hidden = carver.take(act, {seqs, hidden});
  const bool gathers = split.tp_size > 1;
  if (act != DType::kF32 && !gathers) ws.logits_act = carver.take(act, {seqs, config.vocab_size});
  ws.logits = carver.take(DType::kF32, {seqs, config.vocab_size});
  if (gathers) {
    const int64_t gathered = split.tp_size * split.vocab_rows_per_rank;
    ws.logits_local = carver.take(act, {seqs, split.vocab_rows_per_rank});
    ws.logits_gathered = carver.take(act, {seqs, gathered});
    ws.gather_staging = carver.take(act, {seqs * gathered});
    if (act != DType::kF32) ws.partial = carver.take(DType::kF32, {tokens, hidden});
  }
  return ws;
}

int64_t text_metadata_capacity(const TextLimits& limits) {
  constexpr int64_t kNumArrays = 7;
  const int64_t tokens = limits.max_num_batched_tokens;
  const int64_t seqs = limits.max_num_seqs;
  return 5 * tokens + 3 * seqs + 1 + seqs * limits.max_blocks_per_seq + kNumArrays * kMetadataAlignment;
}

base::Result<uint64_t> text_workspace_bytes(const io::TextConfig& config, tensor::DType act, const TextLimits& limits,
                                            const LogitsSplit& split) {
  constexpr int64_t kMaxLimit = INT32_MAX;  // metadata is i32
  const bool in_range = [&] {
    for (int64_t value : {limits.max_num_batched_tokens, limits.max_num_seqs, limits.max_blocks_per_seq}) {
      if (value < 1 || value > kMaxLimit) return false;
    }
    return true;
  }();
  if (!in_range) {
    return base::invalid_argument(
        "decoder limits must be between 1 and 2^31 - 1 (max_num_batched_tokens {}, max_num_seqs {}, "
        "max_blocks_per_seq {})",
        limits.max_num_batched_tokens, limits.max_num_seqs, limits.max_blocks_per_seq);
  }
  ArenaCarver carver;
  TextWorkspace::carve(carver, config, act, limits, split);
  if (carver.overflowed()) {
    return base::out_of_range("the decoder workspace for {} batched tokens and {} sequences is too large to address",
                              limits.max_num_batched_tokens, limits.max_num_seqs);
  }
  return carver.used_bytes();
}

}  // namespace fovea::model
