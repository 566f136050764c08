// Module list of qwen3 / qwen3_vl from config.json (spec §1.4, §2.4), with vLLM's tensor-parallel placement
// (vllm/model_executor/models/qwen3.py, qwen3_vl.py: QKVParallelLinear, MergedColumnParallelLinear,
// RowParallelLinear, VocabParallelEmbedding, ParallelLMHead).
#include "plan/model_layout.h"

namespace fovea::plan {
namespace {

using io::ModelComponent;

ModuleSpec linear(std::string name, ModelComponent component, int64_t out_features, int64_t in_features,
                  bool has_bias) {
  ModuleSpec spec;
  spec.name = std::move(name);
  spec.component = component;
  spec.is_linear = true;
  spec.in_vision_tower = component == ModelComponent::kVisionTower;
  spec.style = io::tp_split_of_module(spec.name);
  spec.out_features = out_features;
  spec.in_features = in_features;
  spec.bias_features = has_bias ? out_features : 0;
  return spec;
}

ModuleSpec plain(std::string name, ModelComponent component, int64_t rows, int64_t cols, int64_t bias_features = 0) {
  ModuleSpec spec;
  spec.name = std::move(name);
  spec.component = component;
  spec.in_vision_tower = component == ModelComponent::kVisionTower;
  spec.style = io::tp_split_of_module(spec.name);
  spec.out_features = rows;
  spec.in_features = cols;
  spec.bias_features = bias_features;
  return spec;
}

void add_vision(const io::VisionConfig& vision, std::vector<ModuleSpec>& modules) {
  const auto kVision = ModelComponent::kVisionTower;
  const int64_t hidden = vision.hidden_size;
  const int64_t merged = hidden * vision.spatial_merge_size * vision.spatial_merge_size;
  const int64_t patch_in = vision.in_channels * vision.temporal_patch_size * vision.patch_size * vision.patch_size;
  modules.push_back(plain("model.visual.patch_embed.proj", kVision, hidden, patch_in, hidden));
  modules.push_back(plain("model.visual.pos_embed", kVision, vision.num_position_embeddings, hidden));
  for (int64_t block_idx = 0; block_idx < vision.depth; ++block_idx) {
    std::string prefix = fmt::format("model.visual.blocks.{}.", block_idx);
    modules.push_back(plain(prefix + "norm1", kVision, hidden, 1, hidden));
    modules.push_back(plain(prefix + "norm2", kVision, hidden, 1, hidden));
    modules.push_back(linear(prefix + "attn.qkv", kVision, 3 * hidden, hidden, true));
    modules.push_back(linear(prefix + "attn.proj", kVision, hidden, hidden, true));
    modules.push_back(linear(prefix + "mlp.linear_fc1", kVision, vision.intermediate_size, hidden, true));
    modules.push_back(linear(prefix + "mlp.linear_fc2", kVision, hidden, vision.intermediate_size, true));
  }
  auto add_merger = [&](const std::string& prefix, int64_t norm_width) {
    modules.push_back(plain(prefix + "norm", kVision, norm_width, 1, norm_width));
    modules.push_back(linear(prefix + "linear_fc1", kVision, merged, merged, true));
    modules.push_back(linear(prefix + "linear_fc2", kVision, vision.out_hidden_size, merged, true));
  };
  add_merger("model.visual.merger.", hidden);  // LayerNorm before the 2x2 shuffle
  for (size_t merger_idx = 0; merger_idx < vision.deepstack_visual_indexes.size(); ++merger_idx) {
    add_merger(fmt::format("model.visual.deepstack_merger_list.{}.", merger_idx), merged);  // after it
  }
}

}  // namespace

std::vector<ModuleSpec> model_modules(const io::ModelConfig& config) {
  const io::TextConfig& text = config.text_config;
  const std::string prefix = config.has_vision() ? "model.language_model." : "model.";
  const int64_t hidden = text.hidden_size;
  const int64_t q_width = text.num_attention_heads * text.head_dim;
  const int64_t kv_width = text.num_key_value_heads * text.head_dim;
  const bool bias = text.attention_bias;
  std::vector<ModuleSpec> modules;
  if (config.vision_config) add_vision(*config.vision_config, modules);
  modules.push_back(plain(prefix + "embed_tokens", ModelComponent::kEmbeddings, text.vocab_size, hidden));
  for (int64_t layer_idx = 0; layer_idx < text.num_hidden_layers; ++layer_idx) {
    const std::string layer = fmt::format("{}layers.{}.", prefix, layer_idx);
    const auto kLayers = ModelComponent::kDecoderLayers;
    modules.push_back(plain(layer + "input_layernorm", kLayers, hidden, 1));
    modules.push_back(plain(layer + "post_attention_layernorm", kLayers, hidden, 1));
    modules.push_back(plain(layer + "self_attn.q_norm", kLayers, text.head_dim, 1));
    modules.push_back(plain(layer + "self_attn.k_norm", kLayers, text.head_dim, 1));
    modules.push_back(linear(layer + "self_attn.q_proj", kLayers, q_width, hidden, bias));
    for (const char* name : {"self_attn.k_proj", "self_attn.v_proj"}) {
      ModuleSpec kv = linear(layer + name, kLayers, kv_width, hidden, bias);
      kv.head_dim = text.head_dim;
      modules.push_back(std::move(kv));
    }
    modules.push_back(linear(layer + "self_attn.o_proj", kLayers, hidden, q_width, bias));
    modules.push_back(linear(layer + "mlp.gate_proj", kLayers, text.intermediate_size, hidden, false));
    modules.push_back(linear(layer + "mlp.up_proj", kLayers, text.intermediate_size, hidden, false));
    modules.push_back(linear(layer + "mlp.down_proj", kLayers, hidden, text.intermediate_size, false));
  }
  modules.push_back(plain(prefix + "norm", ModelComponent::kFinalNorm, hidden, 1));
  if (!config.tie_word_embeddings) {
    ModuleSpec head = linear("lm_head", ModelComponent::kLmHead, text.vocab_size, hidden, false);
    modules.push_back(std::move(head));
  }
  return modules;
}

}  // namespace fovea::plan
