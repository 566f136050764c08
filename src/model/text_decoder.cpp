// TextDecoder: step validation, metadata upload (one packed copy), the per-layer op sequence (HF
// Qwen3DecoderLayer order, with the tensor-parallel collectives where vLLM's Qwen3 has them), and the padded decode
// path that records and replays graphs.
#include "model/text_decoder.h"

#include <algorithm>
#include <cmath>

#include "backend/op_checks.h"
#include "base/check.h"
#include "model/arena_carver.h"

namespace fovea::model {

using backend::Tensor;

struct TextDecoder::StepViews {
  int64_t num_tokens = 0;
  int64_t num_logits = 0;
  int64_t num_metadata = 0;  // i32 elements of ws_.metadata the step's arrays span
  Tensor token_ids;          // [T] i32
  Tensor positions;          // [T] or [3, T] i32
  Tensor slot_mapping;       // [T] i32
  Tensor logits_rows;        // [num_logits] i32
  backend::PagedAttentionBatch batch;
  Tensor hidden;  // [T, H]
  Tensor normed;  // [T, H]
  Tensor q;       // [T, nh, hd] view of qkv
  Tensor k;       // [T, nkv, hd]
  Tensor v;       // [T, nkv, hd]
  Tensor q_rows;  // [T, nh * hd] the same columns as q, as a matrix (projection outputs)
  Tensor k_rows;
  Tensor v_rows;
  Tensor attn;       // [T, nh, hd]
  Tensor attn_rows;  // [T, nh * hd]
  Tensor gate;       // [T, I]
  Tensor up;         // [T, I]
  Tensor cos;        // [T, hd] f32
  Tensor sin;        // [T, hd] f32
  Tensor partial;    // [T, H] f32 row-parallel partials (tp_size > 1, bf16/f16)
};

namespace {

Tensor reshaped_or_die(const Tensor& t, tensor::Shape shape) {
  base::Result<Tensor> view = t.reshaped(std::move(shape));
  FOVEA_CHECK(view.ok(), "{}", view.status().message());
  return *view;
}

base::Status check_rows(const char* what, size_t got, size_t expected) {
  if (got == expected) return base::Status();
  return base::invalid_argument("decoder step: {} has {} entries; expected {}", what, got, expected);
}

}  // namespace

io::TextConfig rank_text_config(const io::TextConfig& config, const io::TensorParallelLayout& layout) {
  io::TextConfig rank = config;
  rank.num_attention_heads = layout.num_attention_heads_per_rank();
  rank.num_key_value_heads = layout.num_kv_heads_per_rank();
  rank.intermediate_size = layout.intermediate_size_per_rank();
  return rank;
}

TextDecoder::TextDecoder(backend::Backend& backend, const io::ModelConfig& config, io::TextConfig rank_config,
                         const TextWeights& weights, tensor::DType act, const TextLimits& limits,
                         const TextParallel& parallel, backend::VocabRange vocab_range)
    : backend_(&backend),
      config_(std::move(rank_config)),
      weights_(&weights),
      act_(act),
      limits_(limits),
      parallel_(parallel),
      vocab_range_(vocab_range) {
  const io::TextConfig& text = config.text_config;
  rope_.theta = static_cast<float>(text.rope_parameters.rope_theta);
  rope_.rotary_dim = static_cast<int>(text.head_dim);
  if (config.type == io::ModelType::kQwen3Vl) {
    rope_.kind = backend::RopeKind::kInterleavedMrope;
    for (size_t axis = 0; axis < 3; ++axis) {
      rope_.mrope_section[axis] = static_cast<int>(text.rope_parameters.mrope_section[axis]);
    }
  } else {
    rope_.kind = backend::RopeKind::kLinear;
  }
  // HF: scaling = head_dim ** -0.5 in Python double precision, passed on as a float.
  attention_scale_ = static_cast<float>(std::pow(static_cast<double>(text.head_dim), -0.5));
}

base::Result<std::unique_ptr<TextDecoder>> TextDecoder::create(backend::Backend& backend, const io::ModelConfig& config,
                                                               const TextWeights& weights, tensor::DType act,
                                                               const TextLimits& limits, const TextParallel& parallel) {
  if (!backend::is_activation_dtype(act)) {
    return base::invalid_argument("activation dtype {} is not supported; use f32, bf16 or f16",
                                  tensor::dtype_name(act));
  }
  io::TextConfig rank_config = config.text_config;
  backend::VocabRange vocab_range{0, config.text_config.vocab_size};
  LogitsSplit split;
  if (parallel.tp_size > 1) {
    if (parallel.communicator == nullptr || parallel.communicator->world_size() != parallel.tp_size ||
        parallel.communicator->rank() != parallel.tp_rank) {
      return base::invalid_argument(
          "the decoder of tensor-parallel rank {} of {} needs that rank's communicator; pass the communicator "
          "create_communicators made for it",
          parallel.tp_rank, parallel.tp_size);
    }
    // The vision tower's split does not concern the decoder.
    FOVEA_ASSIGN_OR_RETURN(const io::TensorParallelLayout layout,
                           io::TensorParallelLayout::create(config, parallel.tp_size, false));
    rank_config = rank_text_config(config.text_config, layout);
    const io::IndexRange held = layout.vocab_range(parallel.tp_rank);
    vocab_range = backend::VocabRange{held.begin, held.count};
    split = LogitsSplit{parallel.tp_size, layout.vocab_rows_per_rank()};
  }
  FOVEA_ASSIGN_OR_RETURN(uint64_t bytes, text_workspace_bytes(rank_config, act, limits, split));
  std::unique_ptr<TextDecoder> decoder(
      new TextDecoder(backend, config, rank_config, weights, act, limits, parallel, vocab_range));
  FOVEA_ASSIGN_OR_RETURN(decoder->buffer_, backend.allocate(bytes));
  ArenaCarver carver(decoder->buffer_.get());
  decoder->ws_ = TextWorkspace::carve(carver, rank_config, act, limits, split);
  decoder->workspace_bytes_ = bytes;
  decoder->metadata_host_.resize(static_cast<size_t>(text_metadata_capacity(limits)));
  return decoder;
}

base::Status TextDecoder::validate(const DecoderStep& step, const KvCache& cache) const {
  const size_t num_tokens = step.token_ids.size();
  const size_t num_seqs = step.seq_lens.size();
  if (num_tokens < 1 || static_cast<int64_t>(num_tokens) > limits_.max_num_batched_tokens) {
    return base::invalid_argument("decoder step: {} tokens; a step takes 1 to max_num_batched_tokens = {}", num_tokens,
                                  limits_.max_num_batched_tokens);
  }
  if (num_seqs < 1 || static_cast<int64_t>(num_seqs) > limits_.max_num_seqs) {
    return base::invalid_argument("decoder step: {} sequences; a step takes 1 to max_num_seqs = {}", num_seqs,
                                  limits_.max_num_seqs);
  }
  if (step.blocks_per_seq < 1 || step.blocks_per_seq > limits_.max_blocks_per_seq) {
    return base::invalid_argument("decoder step: blocks_per_seq {} is outside 1 to max_blocks_per_seq = {}",
                                  step.blocks_per_seq, limits_.max_blocks_per_seq);
  }
  FOVEA_RETURN_IF_ERROR(check_rows("positions", step.positions.size(), uses_mrope() ? 3 * num_tokens : num_tokens));
  FOVEA_RETURN_IF_ERROR(check_rows("slot_mapping", step.slot_mapping.size(), num_tokens));
  FOVEA_RETURN_IF_ERROR(check_rows("query_start_loc", step.query_start_loc.size(), num_seqs + 1));
  FOVEA_RETURN_IF_ERROR(
      check_rows("block_tables", step.block_tables.size(), num_seqs * static_cast<size_t>(step.blocks_per_seq)));
  if (static_cast<int64_t>(step.logits_rows.size()) > limits_.max_num_seqs) {
    return base::invalid_argument("decoder step: {} logits rows; at most max_num_seqs = {}", step.logits_rows.size(),
                                  limits_.max_num_seqs);
  }
  for (int32_t row : step.logits_rows) {
    if (row < 0 || static_cast<size_t>(row) >= num_tokens) {
      return base::invalid_argument("decoder step: logits row {} is outside the step's {} tokens", row, num_tokens);
    }
  }
  if (static_cast<int64_t>(cache.layers.size()) != config_.num_hidden_layers) {
    return base::invalid_argument("decoder step: the KV cache has {} layers; the model has {}", cache.layers.size(),
                                  config_.num_hidden_layers);
  }
  const backend::PagedKvCache& first = cache.layers.front();  // the model has at least one layer (io checks)
  if (first.num_kv_heads() != config_.num_key_value_heads || first.head_dim() != config_.head_dim) {
    return base::invalid_argument("decoder step: the KV cache holds [{}, {}] heads; the model needs [{}, {}]",
                                  first.num_kv_heads(), first.head_dim(), config_.num_key_value_heads,
                                  config_.head_dim);
  }
  for (const VisualRows& rows : step.visual) {
    const Tensor& embeds = rows.embeds;
    if (embeds.rank() != 2 || embeds.dim(1) != config_.hidden_size || embeds.dtype != act_) {
      return base::invalid_argument("decoder step: vision rows of shape {} {}; expected [n, {}] {}",
                                    embeds.shape.to_string(), tensor::dtype_name(embeds.dtype), config_.hidden_size,
                                    tensor::dtype_name(act_));
    }
    if (rows.first_row < 0 || rows.first_row + embeds.dim(0) > static_cast<int64_t>(num_tokens)) {
      return base::invalid_argument("decoder step: vision rows [{}, {}) run outside the step's {} tokens",
                                    rows.first_row, rows.first_row + embeds.dim(0), num_tokens);
    }
    for (const Tensor& extra : rows.deepstack) {
      if (extra.shape != embeds.shape || extra.dtype != act_) {
        return base::invalid_argument(
            "decoder step: DeepStack rows of shape {} {}; expected {} {} like the vision rows", extra.shape.to_string(),
            tensor::dtype_name(extra.dtype), embeds.shape.to_string(), tensor::dtype_name(act_));
      }
    }
  }
  return base::Status();
}

void TextDecoder::set_decode_graph_mode(DecodeGraphMode mode) {
  if (mode == DecodeGraphMode::kGraphs && backend_->device().kind != backend::DeviceKind::kCuda) {
    mode = DecodeGraphMode::kOff;
  }
  graph_mode_ = mode;
  // kOff keeps the graphs captured so far: switching back replays them.
  if (mode != DecodeGraphMode::kOff && graphs_ == nullptr) graphs_ = std::make_unique<DecoderStepGraphs>(limits_);
}

TextDecoder::StepViews TextDecoder::make_views(const DecoderStep& step) const {
  const io::TextConfig& text = config_;
  const auto num_tokens = static_cast<int64_t>(step.token_ids.size());
  const auto num_seqs = static_cast<int64_t>(step.seq_lens.size());
  const int64_t nh = text.num_attention_heads;
  const int64_t nkv = text.num_key_value_heads;
  const int64_t hd = text.head_dim;

  StepViews views;
  views.num_tokens = num_tokens;
  views.num_logits = static_cast<int64_t>(step.logits_rows.size());
  // The metadata arrays one after the other, each on kMetadataAlignment (text_metadata_capacity has room).
  auto take = [&](tensor::Shape shape) {
    const int64_t count = shape.numel();
    const Tensor region = ws_.metadata.slice_rows(views.num_metadata, count);
    views.num_metadata += (count + kMetadataAlignment - 1) / kMetadataAlignment * kMetadataAlignment;
    return reshaped_or_die(region, std::move(shape));
  };
  views.token_ids = take({num_tokens});
  views.positions = uses_mrope() ? take({3, num_tokens}) : take({num_tokens});
  views.slot_mapping = take({num_tokens});
  views.batch.query_start_loc = take({num_seqs + 1});
  views.batch.seq_lens = take({num_seqs});
  views.logits_rows = take({views.num_logits});
  views.batch.block_tables = take({num_seqs, step.blocks_per_seq});
  views.batch.max_query_len = step.max_query_len;
  views.batch.max_seq_len = step.max_seq_len;
  views.hidden = ws_.hidden.slice_rows(0, num_tokens);
  views.normed = ws_.normed.slice_rows(0, num_tokens);
  const Tensor qkv = ws_.qkv.slice_rows(0, num_tokens);
  views.q_rows = qkv.slice_columns(0, nh * hd);
  views.k_rows = qkv.slice_columns(nh * hd, nkv * hd);
  views.v_rows = qkv.slice_columns((nh + nkv) * hd, nkv * hd);
  views.q = reshaped_or_die(views.q_rows, {num_tokens, nh, hd});
  views.k = reshaped_or_die(views.k_rows, {num_tokens, nkv, hd});
  views.v = reshaped_or_die(views.v_rows, {num_tokens, nkv, hd});
  views.attn_rows = ws_.attn.slice_rows(0, num_tokens);
  views.attn = reshaped_or_die(views.attn_rows, {num_tokens, nh, hd});
  views.gate = ws_.gate.slice_rows(0, num_tokens);
  views.up = ws_.up.slice_rows(0, num_tokens);
  views.cos = ws_.cos.slice_rows(0, num_tokens);
  views.sin = ws_.sin.slice_rows(0, num_tokens);
  if (parallel_.tp_size > 1 && act_ != tensor::DType::kF32) views.partial = ws_.partial.slice_rows(0, num_tokens);
  return views;
}

base::Status TextDecoder::upload_metadata(const DecoderStep& step, const StepViews& views) {
  // Packed on the host as in ws_.metadata, then one copy: a decode step's metadata is a few hundred bytes, and
  // one small pageable copy costs less than seven. The driver stages pageable bytes before the call returns, so
  // metadata_host_ (and the step's spans) may change right after.
  auto put = [&](std::span<const int32_t> values, const Tensor& region) {
    const int64_t first = (region.offset_bytes - ws_.metadata.offset_bytes) / static_cast<int64_t>(sizeof(int32_t));
    std::copy(values.begin(), values.end(), metadata_host_.begin() + first);
  };
  put(step.token_ids, views.token_ids);
  put(step.positions, views.positions);
  put(step.slot_mapping, views.slot_mapping);
  put(step.query_start_loc, views.batch.query_start_loc);
  put(step.seq_lens, views.batch.seq_lens);
  put(step.logits_rows, views.logits_rows);
  put(step.block_tables, views.batch.block_tables);
  return backend_->copy_from_host(backend_->default_stream(), metadata_host_.data(),
                                  ws_.metadata.slice_rows(0, views.num_metadata));
}

base::Result<Tensor> TextDecoder::forward(const DecoderStep& step, const KvCache& cache) {
  FOVEA_RETURN_IF_ERROR(validate(step, cache));
  if (graph_mode_ != DecodeGraphMode::kOff) {
    const DecoderStep* padded = graphs_->pad(step, cache.layers.front().block_size());
    if (padded != nullptr) return forward_padded(*padded, cache, static_cast<int64_t>(step.logits_rows.size()));
  }
  const StepViews views = make_views(step);
  FOVEA_RETURN_IF_ERROR(upload_metadata(step, views));
  FOVEA_RETURN_IF_ERROR(enqueue_step(step.visual, views, cache));
  return ws_.logits.slice_rows(0, views.num_logits);
}

base::Result<Tensor> TextDecoder::forward_padded(const DecoderStep& padded, const KvCache& cache, int64_t num_logits) {
  const StepViews views = make_views(padded);
  FOVEA_RETURN_IF_ERROR(upload_metadata(padded, views));
  backend::Stream& stream = backend_->default_stream();
  const bool use_graphs = graph_mode_ == DecodeGraphMode::kGraphs;
  if (use_graphs) {
    backend::Graph* graph = graphs_->find(cache);
    if (graph != nullptr) {
      FOVEA_RETURN_IF_ERROR(graph->replay(stream));
      return ws_.logits.slice_rows(0, num_logits);
    }
  }
  // First step of a bucket: run it op by op (which also sizes the stream's scratch for these shapes), then record
  // the same ops over the same buffers; later steps of the bucket only upload metadata and replay. Under tensor
  // parallelism every rank does this in its own thread for the same step, so the ranks capture the same buckets in
  // the same order, and the eager run's collectives have connected NCCL (it connects lazily) before any capture.
  FOVEA_RETURN_IF_ERROR(enqueue_step({}, views, cache));
  if (use_graphs && !graphs_->capture_failed()) {
    graphs_->store(backend_->capture_graph(stream, [&] { return enqueue_step({}, views, cache); }));
  }
  return ws_.logits.slice_rows(0, num_logits);
}

base::Status TextDecoder::enqueue_step(std::span<const VisualRows> visual, const StepViews& views,
                                       const KvCache& cache) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  if (parallel_.tp_size > 1) {
    // Each rank looks up the ids of its vocabulary rows (zeros elsewhere); the sum is the embedding, exactly, in
    // the activation dtype (x + 0 rounds to x), so it needs no f32 partial.
    FOVEA_RETURN_IF_ERROR(
        ops.embedding_range(stream, weights_->embed_tokens, views.token_ids, vocab_range_, views.hidden));
    FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_reduce_sum(stream, views.hidden));
  } else {
    FOVEA_RETURN_IF_ERROR(ops.embedding(stream, weights_->embed_tokens, views.token_ids, views.hidden));
  }
  for (const VisualRows& rows : visual) {
    const Tensor target = views.hidden.slice_rows(rows.first_row, rows.embeds.dim(0));
    FOVEA_RETURN_IF_ERROR(backend_->copy(stream, rows.embeds, target));
  }
  FOVEA_RETURN_IF_ERROR(ops.rope_cos_sin(stream, views.positions, rope_, views.cos, views.sin));
  for (size_t layer_idx = 0; layer_idx < weights_->layers.size(); ++layer_idx) {
    FOVEA_RETURN_IF_ERROR(run_layer(views, weights_->layers[layer_idx], cache.layers[layer_idx]));
    for (const VisualRows& rows : visual) {
      if (layer_idx >= rows.deepstack.size()) continue;
      const Tensor target = views.hidden.slice_rows(rows.first_row, rows.embeds.dim(0));
      FOVEA_RETURN_IF_ERROR(ops.add(stream, target, rows.deepstack[layer_idx], target));
    }
  }
  return enqueue_logits(views);
}

base::Status TextDecoder::run_layer(const StepViews& views, const DecoderLayerWeights& layer,
                                    const backend::PagedKvCache& cache) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  auto bias = [](const std::optional<Tensor>& b) { return b.has_value() ? &*b : nullptr; };
  // Attention block: x = RMSNorm(h); q/k/v projections; per-head q/k norms; rotary; cache write; attention.
  FOVEA_RETURN_IF_ERROR(ops.rms_norm(stream, views.hidden, layer.input_layernorm, eps, views.normed));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, views.normed, layer.q_proj, bias(layer.q_bias), views.q_rows));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, views.normed, layer.k_proj, bias(layer.k_bias), views.k_rows));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, views.normed, layer.v_proj, bias(layer.v_bias), views.v_rows));
  FOVEA_RETURN_IF_ERROR(ops.rms_norm(stream, views.q, layer.q_norm, eps, views.q));
  FOVEA_RETURN_IF_ERROR(ops.rms_norm(stream, views.k, layer.k_norm, eps, views.k));
  FOVEA_RETURN_IF_ERROR(
      ops.rope_apply(stream, views.q, views.cos, views.sin, backend::RopeArithmetic::kActivation, views.q));
  FOVEA_RETURN_IF_ERROR(
      ops.rope_apply(stream, views.k, views.cos, views.sin, backend::RopeArithmetic::kActivation, views.k));
  // Every scheduled token's K/V is in the cache before any query of this layer reads it (ENGINE.md contract).
  FOVEA_RETURN_IF_ERROR(ops.kv_cache_write(stream, views.k, views.v, views.slot_mapping, cache));
  FOVEA_RETURN_IF_ERROR(ops.paged_attention(stream, views.q, cache, views.batch, attention_scale_, views.attn));
  FOVEA_RETURN_IF_ERROR(row_parallel_linear(views, views.attn_rows, layer.o_proj, bias(layer.o_bias)));
  FOVEA_RETURN_IF_ERROR(ops.add(stream, views.hidden, views.normed, views.hidden));
  // MLP block: h += down(silu(gate(x)) * up(x)), x = RMSNorm(h).
  FOVEA_RETURN_IF_ERROR(ops.rms_norm(stream, views.hidden, layer.post_attention_layernorm, eps, views.normed));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, views.normed, layer.gate_proj, nullptr, views.gate));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, views.normed, layer.up_proj, nullptr, views.up));
  FOVEA_RETURN_IF_ERROR(ops.swiglu(stream, views.gate, views.up, views.gate));
  FOVEA_RETURN_IF_ERROR(row_parallel_linear(views, views.gate, layer.down_proj, nullptr));
  return ops.add(stream, views.hidden, views.normed, views.hidden);
}

base::Status TextDecoder::row_parallel_linear(const StepViews& views, const Tensor& x, const backend::Weight& w,
                                              const Tensor* bias) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  if (parallel_.tp_size == 1) return ops.linear(stream, x, w, bias, views.normed);
  if (act_ == tensor::DType::kF32) {
    FOVEA_RETURN_IF_ERROR(ops.linear(stream, x, w, bias, views.normed));
    return parallel_.communicator->all_reduce_sum(stream, views.normed);
  }
  // Rounding each rank's partial to bf16 before the sum made TP=N differ from TP=1 by a rounding per rank per
  // reduce, enough to flip greedy tokens of small margin; in f32 the ranks differ from TP=1 by summation order only.
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, x, w, bias, views.partial));
  FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_reduce_sum(stream, views.partial));
  return ops.convert(stream, views.partial, views.normed);
}

base::Status TextDecoder::enqueue_logits(const StepViews& views) {
  const int64_t num_logits = views.num_logits;
  if (num_logits == 0) return base::Status();
  const Tensor logits = ws_.logits.slice_rows(0, num_logits);
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  // Only the requested rows go through the final norm and lm_head (HF's logits_to_keep; norms are per row).
  const Tensor last = ws_.last_hidden.slice_rows(0, num_logits);
  FOVEA_RETURN_IF_ERROR(ops.embedding(stream, views.hidden, views.logits_rows, last));
  FOVEA_RETURN_IF_ERROR(ops.rms_norm(stream, last, weights_->norm, static_cast<float>(config_.rms_norm_eps), last));
  if (parallel_.tp_size > 1) {
    // Vocabulary-parallel lm_head: this rank's columns, every rank's side by side, then the real vocabulary
    // (the padding columns past vocab_size are dropped here, so no caller ever sees them).
    const Tensor local = ws_.logits_local.slice_rows(0, num_logits);
    const Tensor gathered = ws_.logits_gathered.slice_rows(0, num_logits);
    const Tensor staging = ws_.gather_staging.slice_rows(0, gathered.numel());
    FOVEA_RETURN_IF_ERROR(ops.linear(stream, last, weights_->lm_head, nullptr, local));
    FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_gather_last_dim(stream, local, staging, gathered));
    return ops.convert(stream, gathered.slice_columns(0, config_.vocab_size), logits);
  }
  if (act_ == tensor::DType::kF32) return ops.linear(stream, last, weights_->lm_head, nullptr, logits);
  // HF computes logits in the activation dtype; the f32 copy is only for the sampler.
  const Tensor logits_act = ws_.logits_act.slice_rows(0, num_logits);
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, last, weights_->lm_head, nullptr, logits_act));
  return ops.convert(stream, logits_act, logits);
}

}  // namespace fovea::model
