// Parameter counting by component from tensors and from config (shapes of spec §1.4, §2.4, §3.3).
#include "io/parameter_census.h"

#include <algorithm>
#include <numeric>

namespace fovea::io {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view leaf_name(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// Quantization side tensors: scales, zero points, group indices, original shapes.
bool is_quantization_aux(std::string_view leaf) {
  return leaf == "qzeros" || leaf == "scales" || leaf == "g_idx" || ends_with(leaf, "_scale") ||
         ends_with(leaf, "_scale_inv") || ends_with(leaf, "_zero_point") || ends_with(leaf, "_g_idx") ||
         ends_with(leaf, "_shape");
}

bool is_packed_weight(std::string_view leaf, tensor::DType dtype) {
  return dtype == tensor::DType::kI32 && (leaf == "weight_packed" || leaf == "qweight");
}

void add_dtype(ComponentCensus& census, tensor::DType dtype) {
  if (std::find(census.dtypes.begin(), census.dtypes.end(), dtype) == census.dtypes.end()) {
    census.dtypes.push_back(dtype);
    std::sort(census.dtypes.begin(), census.dtypes.end());
  }
}

std::optional<tensor::DType> dtype_from_torch_name(std::string_view name) {
  if (name == "bfloat16") return tensor::DType::kBF16;
  if (name == "float16" || name == "half") return tensor::DType::kF16;
  if (name == "float32" || name == "float") return tensor::DType::kF32;
  return std::nullopt;
}

// Sizes come from files: count in uint64 (wrapping, never UB) from values config parsing checked to be positive.
uint64_t u(int64_t value) { return static_cast<uint64_t>(value); }

uint64_t vision_params(const VisionConfig& vision) {
  uint64_t hidden = u(vision.hidden_size);
  uint64_t inter = u(vision.intermediate_size);
  uint64_t out = u(vision.out_hidden_size);
  uint64_t merged = hidden * u(vision.spatial_merge_size) * u(vision.spatial_merge_size);
  uint64_t patch_in =
      u(vision.in_channels) * u(vision.temporal_patch_size) * u(vision.patch_size) * u(vision.patch_size);
  uint64_t patch_embed = hidden * patch_in + hidden;
  uint64_t pos_embed = u(vision.num_position_embeddings) * hidden;
  uint64_t block = 2 * 2 * hidden                      // norm1, norm2 (LayerNorm weight + bias)
                   + 3 * hidden * hidden + 3 * hidden  // attn.qkv
                   + hidden * hidden + hidden          // attn.proj
                   + inter * hidden + inter            // mlp.linear_fc1
                   + hidden * inter + hidden;          // mlp.linear_fc2
  uint64_t merger_linears = merged * merged + merged + out * merged + out;
  uint64_t merger = 2 * hidden + merger_linears;            // LayerNorm before the 2x2 shuffle
  uint64_t deepstack_merger = 2 * merged + merger_linears;  // LayerNorm after it
  return patch_embed + pos_embed + u(vision.depth) * block + merger +
         vision.deepstack_visual_indexes.size() * deepstack_merger;
}

// Layers with a sparse MoE block, counted without walking every layer (HF's rule, TextConfig::is_moe_layer).
uint64_t num_moe_layers(const TextConfig& text) {
  if (text.num_experts <= 0 || text.decoder_sparse_step <= 0) return 0;
  uint64_t count = u(text.num_hidden_layers) / u(text.decoder_sparse_step);
  std::vector<int64_t> dense_only = text.mlp_only_layers;
  std::sort(dense_only.begin(), dense_only.end());
  dense_only.erase(std::unique(dense_only.begin(), dense_only.end()), dense_only.end());
  for (int64_t layer_idx : dense_only) {
    if (layer_idx >= 0 && layer_idx < text.num_hidden_layers && (layer_idx + 1) % text.decoder_sparse_step == 0) {
      --count;
    }
  }
  return count;
}

uint64_t decoder_params(const TextConfig& text) {
  uint64_t hidden = u(text.hidden_size);
  uint64_t head_dim = u(text.head_dim);
  uint64_t q_width = u(text.num_attention_heads) * head_dim;
  uint64_t kv_width = u(text.num_key_value_heads) * head_dim;
  uint64_t attention = hidden * q_width + 2 * hidden * kv_width + q_width * hidden  // q, k, v, o
                       + 2 * head_dim;                                              // q_norm, k_norm
  if (text.attention_bias) attention += q_width + 2 * kv_width + hidden;
  uint64_t norms = 2 * hidden;
  uint64_t dense_mlp = 3 * hidden * u(text.intermediate_size);
  uint64_t moe_mlp = u(text.num_experts) * hidden  // router
                     + u(text.num_experts) * 3 * hidden * u(text.moe_intermediate_size);
  uint64_t num_layers = u(text.num_hidden_layers);
  uint64_t num_moe = num_moe_layers(text);
  return num_layers * (attention + norms) + num_moe * moe_mlp + (num_layers - num_moe) * dense_mlp;
}

}  // namespace

std::string_view component_name(ModelComponent component) {
  switch (component) {
    case ModelComponent::kVisionTower:
      return "vision_tower";
    case ModelComponent::kEmbeddings:
      return "embeddings";
    case ModelComponent::kDecoderLayers:
      return "decoder_layers";
    case ModelComponent::kFinalNorm:
      return "final_norm";
    case ModelComponent::kLmHead:
      return "lm_head";
    case ModelComponent::kOther:
      return "other";
  }
  return "other";
}

ModelComponent classify_tensor(std::string_view name) {
  if (starts_with(name, "model.visual.") || starts_with(name, "visual.")) return ModelComponent::kVisionTower;
  if (starts_with(name, "lm_head.")) return ModelComponent::kLmHead;
  if (name.find("embed_tokens.") != std::string_view::npos) return ModelComponent::kEmbeddings;
  if (name.find(".layers.") != std::string_view::npos) return ModelComponent::kDecoderLayers;
  if (name == "model.norm.weight" || name == "model.language_model.norm.weight") return ModelComponent::kFinalNorm;
  return ModelComponent::kOther;
}

uint64_t ParameterCensus::total_params() const {
  return std::accumulate(components.begin(), components.end(), uint64_t{0},
                         [](uint64_t sum, const ComponentCensus& census) { return sum + census.num_params; });
}

uint64_t ParameterCensus::total_packed_params() const {
  return std::accumulate(components.begin(), components.end(), uint64_t{0},
                         [](uint64_t sum, const ComponentCensus& census) { return sum + census.num_packed_params; });
}

uint64_t ParameterCensus::total_bytes() const {
  return std::accumulate(components.begin(), components.end(), uint64_t{0},
                         [](uint64_t sum, const ComponentCensus& census) { return sum + census.weight_bytes; });
}

ParameterCensus census_from_weights(const WeightTable& weights, const ModelConfig& config) {
  ParameterCensus census;
  census.from_weights = true;
  int64_t bits =
      config.quantization_config && config.quantization_config->bits > 0 ? config.quantization_config->bits : 4;
  for (const auto& [name, entry] : weights.entries()) {
    ComponentCensus& component = census[classify_tensor(name)];
    std::string_view leaf = leaf_name(name);
    uint64_t numel = static_cast<uint64_t>(entry.view.numel());
    component.num_tensors += 1;
    component.weight_bytes += entry.size_bytes;
    add_dtype(component, entry.view.dtype);
    if (is_packed_weight(leaf, entry.view.dtype)) {
      uint64_t unpacked = numel * static_cast<uint64_t>(32 / std::clamp<int64_t>(bits, 1, 32));
      component.num_params += unpacked;
      component.num_packed_params += unpacked;
      census.packed_bits = bits;
    } else if (!is_quantization_aux(leaf)) {
      component.num_params += numel;
    }
  }
  census.lm_head_tied = config.tie_word_embeddings && census[ModelComponent::kLmHead].num_tensors == 0;
  return census;
}

ParameterCensus census_from_config(const ModelConfig& config) {
  ParameterCensus census;
  const TextConfig& text = config.text_config;
  uint64_t hidden = static_cast<uint64_t>(text.hidden_size);
  uint64_t vocab = static_cast<uint64_t>(text.vocab_size);
  if (config.vision_config) census[ModelComponent::kVisionTower].num_params = vision_params(*config.vision_config);
  census[ModelComponent::kEmbeddings].num_params = vocab * hidden;
  census[ModelComponent::kDecoderLayers].num_params = decoder_params(text);
  census[ModelComponent::kFinalNorm].num_params = hidden;
  census.lm_head_tied = config.tie_word_embeddings;
  census[ModelComponent::kLmHead].num_params = config.tie_word_embeddings ? 0 : vocab * hidden;

  std::optional<tensor::DType> dtype = dtype_from_torch_name(config.dtype);
  census.bytes_known = dtype.has_value() && !config.quantization_config;
  for (ComponentCensus& component : census.components) {
    if (component.num_params == 0 || !census.bytes_known) continue;
    component.weight_bytes = component.num_params * static_cast<uint64_t>(tensor::dtype_size_bytes(*dtype));
    component.dtypes = {*dtype};
  }
  return census;
}

}  // namespace fovea::io
