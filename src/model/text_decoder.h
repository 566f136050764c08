// TextDecoder: the Qwen3 / Qwen3-VL text decoder as a sequence of backend ops over one step's varlen batch:
// embeddings (with vision rows scattered in), decoder layers writing their K/V into the paged cache before
// attending, DeepStack additions, final norm and lm_head for the requested rows. Spec §1, §2.1, §2.3. Under tensor
// parallelism (docs/TENSOR_PARALLEL.md) each rank runs its heads and MLP columns, all-reduces after the
// vocabulary-parallel embedding, o_proj and down_proj (their partial sums in f32 when the activation is bf16/f16),
// and gathers the vocabulary-parallel logits.
// Must not contain scheduling, sampling or vision code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "backend/communicator.h"
#include "base/status.h"
#include "io/model_config.h"
#include "io/tensor_parallel_layout.h"
#include "model/decoder_step.h"
#include "model/decoder_step_graphs.h"
#include "model/kv_cache.h"
#include "model/model_options.h"
#include "model/text_weights.h"
#include "model/text_workspace.h"

namespace fovea::model {

// How the decoder is split over tensor-parallel ranks. Every rank's decoder gets the same calls with the same step
// at the same time (one thread per rank); the collectives happen inside forward().
struct TextParallel {
  int tp_size = 1;
  int tp_rank = 0;
  backend::Communicator* communicator = nullptr;  // not owned; this rank's; required when tp_size > 1
};

// The decoder's shape on one rank of `layout`: attention heads, KV heads and MLP width per rank (vocab_size stays
// the whole vocabulary: the logits every rank returns). The KV cache of a rank holds its KV heads.
io::TextConfig rank_text_config(const io::TextConfig& config, const io::TensorParallelLayout& layout);

class TextDecoder {
 public:
  // Allocates the workspace for `limits`. `weights` must outlive the decoder; with `parallel.tp_size` > 1 they are
  // rank `parallel.tp_rank`'s shards (WeightLoader::shard_for_tensor_parallel).
  static base::Result<std::unique_ptr<TextDecoder>> create(backend::Backend& backend, const io::ModelConfig& config,
                                                           const TextWeights& weights, tensor::DType act,
                                                           const TextLimits& limits, const TextParallel& parallel = {});

  // Runs one step. Returns the logits of step.logits_rows, [num_logits, vocab] f32 (the whole vocabulary on every
  // rank; vocabulary padding columns are never part of it): a view into the workspace,
  // valid until the next forward (read it after synchronizing the default stream). A step that breaks the limits or
  // is inconsistent (span sizes, rows out of range, a cache of another shape) is an error, nothing is computed.
  // Pure decode steps follow the decode graph mode (kOff: as given); the step's host arrays are consumed before
  // forward returns.
  base::Result<backend::Tensor> forward(const DecoderStep& step, const KvCache& cache);

  // kGraphs needs a backend that captures graphs (CUDA); on others it means kOff. Default kOff.
  void set_decode_graph_mode(DecodeGraphMode mode);
  DecodeGraphMode decode_graph_mode() const { return graph_mode_; }
  // Buckets and captured graphs (nullptr until a mode other than kOff was set).
  const DecoderStepGraphs* decode_graphs() const { return graphs_.get(); }

  tensor::DType activation_dtype() const { return act_; }
  const TextLimits& limits() const { return limits_; }
  uint64_t workspace_bytes() const { return workspace_bytes_; }
  bool uses_mrope() const { return rope_.kind == backend::RopeKind::kInterleavedMrope; }
  const TextParallel& parallel() const { return parallel_; }
  // Heads and widths of this rank (the model's own at tp_size 1).
  const io::TextConfig& rank_config() const { return config_; }

 private:
  TextDecoder(backend::Backend& backend, const io::ModelConfig& config, io::TextConfig rank_config,
              const TextWeights& weights, tensor::DType act, const TextLimits& limits, const TextParallel& parallel,
              backend::VocabRange vocab_range);

  struct StepViews;  // per-step views of the workspace (text_decoder.cpp)

  base::Status validate(const DecoderStep& step, const KvCache& cache) const;
  StepViews make_views(const DecoderStep& step) const;
  base::Status upload_metadata(const DecoderStep& step, const StepViews& views);
  // Every op of the step after the metadata upload: what a graph records.
  base::Status enqueue_step(std::span<const VisualRows> visual, const StepViews& views, const KvCache& cache);
  base::Status run_layer(const StepViews& views, const DecoderLayerWeights& layer, const backend::PagedKvCache& cache);
  base::Status enqueue_logits(const StepViews& views);
  // views.normed = x · wᵀ (+ bias) of a row-parallel Linear (o_proj, down_proj) summed over the ranks. tp_size 1:
  // the Linear alone. Above, with a bf16/f16 activation, every rank's partial sum is made and all-reduced in f32
  // (ws_.partial) and rounded once into normed, as TP=1 rounds its one sum; with f32, all-reduced in normed.
  base::Status row_parallel_linear(const StepViews& views, const backend::Tensor& x, const backend::Weight& w,
                                   const backend::Tensor* bias);
  // A padded decode step: graph replay, or op by op (and captured, in kGraphs, when its bucket has no graph yet).
  base::Result<backend::Tensor> forward_padded(const DecoderStep& padded, const KvCache& cache, int64_t num_logits);

  backend::Backend* backend_;   // not owned
  io::TextConfig config_;       // this rank's (rank_text_config); the model's own at tp_size 1
  const TextWeights* weights_;  // not owned
  tensor::DType act_;
  TextLimits limits_;
  backend::RopeConfig rope_;
  float attention_scale_ = 1.0f;
  TextParallel parallel_;
  backend::VocabRange vocab_range_;          // tp_size > 1: the token ids whose embedding rows this rank holds
  std::unique_ptr<backend::Buffer> buffer_;  // owned: the workspace allocation
  TextWorkspace ws_;                         // views into buffer_
  uint64_t workspace_bytes_ = 0;
  std::vector<int32_t> metadata_host_;  // [text_metadata_capacity] the step's metadata, packed as in ws_.metadata
  DecodeGraphMode graph_mode_ = DecodeGraphMode::kOff;
  std::unique_ptr<DecoderStepGraphs> graphs_;  // made when a mode other than kOff is first set
};

}  // namespace fovea::model
