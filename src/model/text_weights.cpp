// Loading of the text decoder's tensors: names per model type, shapes per config.json, tied lm_head.
#include "model/text_weights.h"

#include <fmt/format.h>

namespace fovea::model {
namespace {

base::Status check_text_supported(const io::ModelConfig& config) {
  const io::TextConfig& text = config.text_config;
  if (config.is_moe()) {
    return base::unsupported(
        "config.json: model_type {} (mixture of experts) is not supported yet; use a dense "
        "Qwen3 or Qwen3-VL model",
        config.model_type);
  }
  if (text.hidden_act != "silu") {
    return base::unsupported("config.json: hidden_act \"{}\" is not supported; Qwen3 decoders use \"silu\"",
                             text.hidden_act);
  }
  if (text.rope_parameters.rope_type != "default") {
    return base::unsupported("config.json: rope_type \"{}\" is not supported yet; only \"default\" RoPE is",
                             text.rope_parameters.rope_type);
  }
  if (text.use_sliding_window) {
    return base::unsupported("config.json: use_sliding_window is true; fovea has no sliding-window attention");
  }
  if (text.num_key_value_heads <= 0 || text.num_attention_heads % text.num_key_value_heads != 0) {
    return base::invalid_argument("config.json: num_attention_heads {} is not a multiple of num_key_value_heads {}",
                                  text.num_attention_heads, text.num_key_value_heads);
  }
  if (text.head_dim % 2 != 0) {
    return base::invalid_argument("config.json: head_dim {} must be even for rotary embeddings", text.head_dim);
  }
  if (config.type == io::ModelType::kQwen3Vl) {
    const std::vector<int64_t>& section = text.rope_parameters.mrope_section;
    const bool valid = section.size() == 3 && section[0] >= 0 && section[1] >= 0 && section[2] >= 0;
    if (!valid) {
      return base::invalid_argument(
          "config.json: mrope_section must have 3 non-negative entries (t, h, w), e.g. "
          "[24, 20, 20]");
    }
  }
  return base::Status();
}

base::Result<DecoderLayerWeights> load_layer(WeightLoader& loader, const io::TextConfig& text,
                                             const std::string& prefix) {
  const int64_t hidden = text.hidden_size;
  const int64_t q_width = text.num_attention_heads * text.head_dim;
  const int64_t kv_width = text.num_key_value_heads * text.head_dim;
  const int64_t inter = text.intermediate_size;
  DecoderLayerWeights layer;
  FOVEA_ASSIGN_OR_RETURN(layer.input_layernorm,
                         loader.load_tensor(prefix + "input_layernorm.weight", {hidden}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(layer.q_proj, loader.load_linear(prefix + "self_attn.q_proj", q_width, hidden));
  FOVEA_ASSIGN_OR_RETURN(layer.k_proj, loader.load_linear(prefix + "self_attn.k_proj", kv_width, hidden));
  FOVEA_ASSIGN_OR_RETURN(layer.v_proj, loader.load_linear(prefix + "self_attn.v_proj", kv_width, hidden));
  FOVEA_ASSIGN_OR_RETURN(layer.o_proj, loader.load_linear(prefix + "self_attn.o_proj", hidden, q_width));
  if (text.attention_bias) {
    FOVEA_ASSIGN_OR_RETURN(layer.q_bias,
                           loader.load_tensor(prefix + "self_attn.q_proj.bias", {q_width}, DummyInit::kZeros));
    FOVEA_ASSIGN_OR_RETURN(layer.k_bias,
                           loader.load_tensor(prefix + "self_attn.k_proj.bias", {kv_width}, DummyInit::kZeros));
    FOVEA_ASSIGN_OR_RETURN(layer.v_bias,
                           loader.load_tensor(prefix + "self_attn.v_proj.bias", {kv_width}, DummyInit::kZeros));
    FOVEA_ASSIGN_OR_RETURN(layer.o_bias,
                           loader.load_tensor(prefix + "self_attn.o_proj.bias", {hidden}, DummyInit::kZeros));
  }
  FOVEA_ASSIGN_OR_RETURN(layer.q_norm,
                         loader.load_tensor(prefix + "self_attn.q_norm.weight", {text.head_dim}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(layer.k_norm,
                         loader.load_tensor(prefix + "self_attn.k_norm.weight", {text.head_dim}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(layer.post_attention_layernorm,
                         loader.load_tensor(prefix + "post_attention_layernorm.weight", {hidden}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(layer.gate_proj, loader.load_linear(prefix + "mlp.gate_proj", inter, hidden));
  FOVEA_ASSIGN_OR_RETURN(layer.up_proj, loader.load_linear(prefix + "mlp.up_proj", inter, hidden));
  FOVEA_ASSIGN_OR_RETURN(layer.down_proj, loader.load_linear(prefix + "mlp.down_proj", hidden, inter));
  return layer;
}

}  // namespace

std::string text_weight_prefix(const io::ModelConfig& config) {
  return config.type == io::ModelType::kQwen3Vl ? "model.language_model." : "model.";
}

base::Result<TextWeights> load_text_weights(WeightLoader& loader, const io::ModelConfig& config) {
  FOVEA_RETURN_IF_ERROR(check_text_supported(config));
  const io::TextConfig& text = config.text_config;
  const std::string prefix = text_weight_prefix(config);
  TextWeights weights;
  FOVEA_ASSIGN_OR_RETURN(
      weights.embed_tokens,
      loader.load_tensor(prefix + "embed_tokens.weight", {text.vocab_size, text.hidden_size}, DummyInit::kEmbedding));
  weights.layers.reserve(static_cast<size_t>(text.num_hidden_layers));
  for (int64_t layer_idx = 0; layer_idx < text.num_hidden_layers; ++layer_idx) {
    FOVEA_ASSIGN_OR_RETURN(DecoderLayerWeights layer,
                           load_layer(loader, text, fmt::format("{}layers.{}.", prefix, layer_idx)));
    weights.layers.push_back(std::move(layer));
  }
  FOVEA_ASSIGN_OR_RETURN(weights.norm,
                         loader.load_tensor(prefix + "norm.weight", {text.hidden_size}, DummyInit::kOnes));
  // HF ties lm_head to the embedding table when tie_word_embeddings is set, whatever the file holds.
  weights.lm_head_tied = config.tie_word_embeddings;
  if (weights.lm_head_tied) {
    weights.lm_head.format = backend::WeightFormat::kDense;
    weights.lm_head.values = weights.embed_tokens;
  } else {
    FOVEA_ASSIGN_OR_RETURN(weights.lm_head, loader.load_linear("lm_head", text.vocab_size, text.hidden_size));
  }
  return weights;
}

}  // namespace fovea::model
