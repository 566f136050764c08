// Parameter structs of the op table: rotary configuration, the paged KV cache and batch metadata of attention.
// Must not contain op code.
#pragma once

#include <array>
#include <cstdint>

#include "backend/tensor.h"

namespace fovea::backend {

enum class GeluKind : uint8_t {
  kTanh,  // "gelu_pytorch_tanh": 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
  kErf,   // nn.GELU(): 0.5x(1 + erf(x / sqrt(2)))
};

enum class RopeKind : uint8_t {
  kLinear,            // positions [T]: angle[j] = p * inv_freq[j], inv_freq[j] = theta^(-2j/rotary_dim)
  kInterleavedMrope,  // positions [3, T] (t, h, w): frequency j takes its position from the axis of
                      // Qwen3-VL's interleaved mrope_section pattern (spec §2.1)
  kVision2d,          // positions [2, T] (row, col): angles = concat(row * f, col * f) with
                      // f[k] = theta^(-2k/(rotary_dim/2)), k < rotary_dim/4 (spec §2.4 item 3)
};

// The rows of a vocabulary-parallel embedding table one tensor-parallel rank holds: token ids [begin, begin + count)
// are its rows 0 .. count - 1; any other id gives a zero row (the rank that holds it adds the real one in the
// all-reduce that follows).
struct VocabRange {
  int64_t begin = 0;
  int64_t count = 0;  // at most the table's rows (the rest are padding)
};

struct RopeConfig {
  RopeKind kind = RopeKind::kLinear;
  float theta = 10000.0f;
  int rotary_dim = 128;                   // = head_dim; cos/sin rows are rotary_dim wide (two equal halves)
  std::array<int, 3> mrope_section = {};  // kInterleavedMrope only (t, h, w), e.g. {24, 20, 20}
};

// Where the multiply-adds of rope_apply happen.
enum class RopeArithmetic : uint8_t {
  kActivation,  // HF text models: cos/sin cast to x's dtype, every product and the sum rounded to it
  kFloat32,     // HF vision tower: all in fp32, one rounding of the result to the output dtype
};

// A paged KV cache of one layer. Token slot s lives in block s / block_size at offset s % block_size.
struct PagedKvCache {
  Tensor k;              // [num_blocks, block_size, num_kv_heads, head_dim] bf16 / f16 / f32 / f8e4m3
  Tensor v;              // same shape and dtype as k
  float k_scale = 1.0f;  // f8e4m3 only: stored = fp8(k / k_scale), read = float(stored) * k_scale
  float v_scale = 1.0f;

  int64_t num_blocks() const { return k.dim(0); }
  int64_t block_size() const { return k.dim(1); }
  int64_t num_kv_heads() const { return k.dim(2); }
  int64_t head_dim() const { return k.dim(3); }
};

// A batch of sequences in varlen layout for paged_attention: sequence b owns query rows
// [query_start_loc[b], query_start_loc[b+1]) and has seq_lens[b] tokens in the cache, the new ones included,
// so its query i (of q_len) sits at absolute position seq_lens[b] - q_len + i and sees positions <= that.
// Prefill chunks (q_len > 1) and decodes (q_len == 1) mix freely. The hints let a device size its launch
// without reading the tensors back.
struct PagedAttentionBatch {
  Tensor query_start_loc;  // [num_seqs + 1] i32, query_start_loc[0] == 0, last == num_tokens
  Tensor seq_lens;         // [num_seqs] i32
  Tensor block_tables;     // [num_seqs, max_blocks_per_seq] i32, block ids into the cache
  int max_query_len = 0;   // >= every q_len
  int max_seq_len = 0;     // >= every seq_lens[b]
};

// Segments for non-causal attention (vision tower): tokens [cu_seqlens[s], cu_seqlens[s+1]) attend to each other.
struct SegmentBatch {
  Tensor cu_seqlens;   // [num_segments + 1] i32, cu_seqlens[0] == 0, last == num_tokens
  int max_seqlen = 0;  // >= every segment length
};

}  // namespace fovea::backend
