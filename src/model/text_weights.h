// TextWeights: the Qwen3 decoder's tensors (embeddings, layers, final norm, lm_head) as backend views, and their
// loading by Hugging Face name (qwen3: model.*, qwen3_vl: model.language_model.*) with shapes from config.json.
// Must not contain forward code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/weight_loader.h"

namespace fovea::model {

// Shapes are the model's at TP=1. Under tensor parallelism they are one rank's shards (io::TensorParallelLayout):
// nh, nkv and I per rank (KV heads replicated when tp exceeds them), vocab = vocab_rows_per_rank (padding rows
// zero), and o_bias zero on ranks other than 0 (rank 0 adds it before the all-reduce).
struct DecoderLayerWeights {
  backend::Tensor input_layernorm;           // [H]
  backend::Weight q_proj;                    // [nh * hd, H]
  backend::Weight k_proj;                    // [nkv * hd, H]
  backend::Weight v_proj;                    // [nkv * hd, H]
  backend::Weight o_proj;                    // [H, nh * hd]
  std::optional<backend::Tensor> q_bias;     // [nh * hd], attention_bias only
  std::optional<backend::Tensor> k_bias;     // [nkv * hd]
  std::optional<backend::Tensor> v_bias;     // [nkv * hd]
  std::optional<backend::Tensor> o_bias;     // [H]
  backend::Tensor q_norm;                    // [hd]
  backend::Tensor k_norm;                    // [hd]
  backend::Tensor post_attention_layernorm;  // [H]
  backend::Weight gate_proj;                 // [I, H]
  backend::Weight up_proj;                   // [I, H]
  backend::Weight down_proj;                 // [H, I]
};

struct TextWeights {
  backend::Tensor embed_tokens;  // [vocab, H]
  std::vector<DecoderLayerWeights> layers;
  backend::Tensor norm;     // [H]
  backend::Weight lm_head;  // [vocab, H]; the embedding table itself when tie_word_embeddings
  bool lm_head_tied = false;
};

// "model." (qwen3) or "model.language_model." (qwen3_vl).
std::string text_weight_prefix(const io::ModelConfig& config);

// Checks what the decoder supports (no MoE, silu, default RoPE) and loads every tensor; Linear weights in any
// format the checkpoint stores them (WeightLoader::load_linear), as the loader's rank holds them.
base::Result<TextWeights> load_text_weights(WeightLoader& loader, const io::ModelConfig& config);

}  // namespace fovea::model
