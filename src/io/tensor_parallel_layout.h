// TensorParallelLayout: the one rule for how every tensor of a qwen3 / qwen3_vl checkpoint is split over
// tensor-parallel ranks, following vLLM (QKVParallelLinear, MergedColumnParallelLinear, RowParallelLinear,
// VocabParallelEmbedding, ParallelLMHead): which module is column-, row-, head- or vocab-parallel, and which
// index range of each stored tensor (dense, FP8 block, compressed-tensors, AWQ, GPTQ) a rank holds.
// The planner's byte counts and the weight loader both use it. Must not read tensor data or know about devices.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/model_config.h"

namespace fovea::io {

// How a module is placed on tensor-parallel ranks.
enum class TpSplit : uint8_t {
  kReplicated,  // whole on every rank: norms, q/k norms, vision patch and position embeddings
  kColumn,      // output features split: q_proj, gate/up_proj, vision qkv (each of q, k, v) and fc1, merger fc1
  kRow,         // input features split, bias whole (rank 0 adds it): o_proj, down_proj, vision proj, fc2, merger fc2
  kKvHeads,     // k/v_proj: KV heads split; when tp exceeds them each head is on tp / num_kv_heads ranks
  kVocab,       // embed_tokens and lm_head: vocabulary rows padded to a multiple of 64, then split
};

std::string_view tp_split_name(TpSplit split);

// vLLM pads vocab-parallel rows to a multiple of this before splitting them (DEFAULT_VOCAB_PADDING_SIZE).
inline constexpr int64_t kVocabPaddingRows = 64;

// The placement of the module `module_name` (an HF module name such as
// "model.language_model.layers.0.self_attn.k_proj", without ".weight"). Unknown names are replicated.
TpSplit tp_split_of_module(std::string_view module_name);

// Index range [begin, begin + count) along one axis.
struct IndexRange {
  int64_t begin = 0;
  int64_t count = 0;
};

// What one rank holds of one stored tensor.
struct TpShard {
  int axis = -1;                   // -1: the whole tensor, on every rank
  std::vector<IndexRange> ranges;  // along `axis`, in stored units (packed words, groups, blocks), concatenated
  std::vector<int64_t> shape;      // the rank's tensor; along `axis` it may exceed the ranges (zero padding)
  bool rank0_only = false;         // a row-parallel bias: whole on every rank, added by rank 0 before the all-reduce
};

class TensorParallelLayout {
 public:
  // Checks that `tensor_parallel_size` can split the model (attention heads, KV heads, MLP and vision widths,
  // padded vocabulary); an error names the field and the sizes that would work. `shard_vision_weights` is
  // --mm-encoder-tp-mode weights; false (data) keeps every vision weight whole on every rank. MoE is refused.
  static base::Result<TensorParallelLayout> create(const ModelConfig& config, int tensor_parallel_size,
                                                   bool shard_vision_weights = true);

  int tensor_parallel_size() const { return tp_; }

  // The placement of a module in this layout (the vision tower is replicated in data mode).
  TpSplit split_of_module(std::string_view module_name) const;

  // The part of `tensor_name` (".weight", ".bias", ".weight_packed", ".qweight", ".weight_scale_inv", ...) whose
  // stored shape is `stored_shape` that rank `rank_idx` holds. Errors: a shape that disagrees with config.json
  // (kDataLoss), or a quantized layout the split would cut inside a packed word, group or FP8 block
  // (kInvalidArgument, naming the tensor, the shard width and the unit).
  base::Result<TpShard> shard(std::string_view tensor_name, std::span<const int64_t> stored_shape, int rank_idx) const;

  int64_t num_attention_heads_per_rank() const;
  int64_t num_kv_heads_per_rank() const;
  // Ranks that hold a copy of each KV head: 1 unless tp exceeds the KV heads.
  int64_t num_kv_head_replicas() const;
  int64_t intermediate_size_per_rank() const;
  // Vocabulary rows each rank holds after padding; rank r's real rows are vocab_range(r).
  int64_t vocab_rows_per_rank() const;
  IndexRange vocab_range(int rank_idx) const;

 private:
  TensorParallelLayout(const ModelConfig& config, int tp, bool shard_vision)
      : config_(config), tp_(tp), shard_vision_(shard_vision) {}

  ModelConfig config_;
  int tp_ = 1;
  bool shard_vision_ = true;
};

}  // namespace fovea::io
