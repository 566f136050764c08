// Loading of the vision tower's tensors: model.visual.* names, shapes from vision_config.
#include "model/vision_weights.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace fovea::model {
namespace {

const std::string kPrefix = "model.visual.";

base::Status check_vision_supported(const io::VisionConfig& config) {
  if (config.hidden_act != "gelu_pytorch_tanh" && config.hidden_act != "gelu") {
    return base::unsupported(
        "config.json: vision_config.hidden_act \"{}\" is not supported; use gelu_pytorch_tanh "
        "or gelu",
        config.hidden_act);
  }
  if (config.num_heads <= 0 || config.hidden_size % config.num_heads != 0 ||
      (config.hidden_size / config.num_heads) % 4 != 0) {
    return base::invalid_argument(
        "config.json: vision_config.hidden_size {} must split into num_heads {} heads of a "
        "multiple of 4 dimensions (2-D rotary)",
        config.hidden_size, config.num_heads);
  }
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(config.num_position_embeddings))));
  if (side * side != config.num_position_embeddings || side < 2) {
    return base::invalid_argument(
        "config.json: vision_config.num_position_embeddings {} must be a square of at least "
        "4 (a side x side grid)",
        config.num_position_embeddings);
  }
  for (int64_t block_idx : config.deepstack_visual_indexes) {
    if (block_idx < 0 || block_idx >= config.depth) {
      return base::invalid_argument(
          "config.json: vision_config.deepstack_visual_indexes entry {} is outside the {} "
          "vision blocks",
          block_idx, config.depth);
    }
  }
  return base::Status();
}

base::Result<VisionBlockWeights> load_block(WeightLoader& loader, const io::VisionConfig& config,
                                            const std::string& prefix) {
  const int64_t hidden = config.hidden_size;
  const int64_t inter = config.intermediate_size;
  VisionBlockWeights block;
  FOVEA_ASSIGN_OR_RETURN(block.norm1_weight, loader.load_tensor(prefix + "norm1.weight", {hidden}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(block.norm1_bias, loader.load_tensor(prefix + "norm1.bias", {hidden}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(block.qkv, loader.load_linear(prefix + "attn.qkv", 3 * hidden, hidden));
  FOVEA_ASSIGN_OR_RETURN(block.qkv_bias, loader.load_tensor(prefix + "attn.qkv.bias", {3 * hidden}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(block.proj, loader.load_linear(prefix + "attn.proj", hidden, hidden));
  FOVEA_ASSIGN_OR_RETURN(block.proj_bias, loader.load_tensor(prefix + "attn.proj.bias", {hidden}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(block.norm2_weight, loader.load_tensor(prefix + "norm2.weight", {hidden}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(block.norm2_bias, loader.load_tensor(prefix + "norm2.bias", {hidden}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(block.fc1, loader.load_linear(prefix + "mlp.linear_fc1", inter, hidden));
  FOVEA_ASSIGN_OR_RETURN(block.fc1_bias,
                         loader.load_tensor(prefix + "mlp.linear_fc1.bias", {inter}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(block.fc2, loader.load_linear(prefix + "mlp.linear_fc2", hidden, inter));
  FOVEA_ASSIGN_OR_RETURN(block.fc2_bias,
                         loader.load_tensor(prefix + "mlp.linear_fc2.bias", {hidden}, DummyInit::kZeros));
  return block;
}

base::Result<PatchMergerWeights> load_merger(WeightLoader& loader, const io::VisionConfig& config,
                                             const std::string& prefix, bool postshuffle_norm) {
  const int64_t merge_area = config.spatial_merge_size * config.spatial_merge_size;
  const int64_t merged = config.hidden_size * merge_area;
  const int64_t norm_width = postshuffle_norm ? merged : config.hidden_size;
  PatchMergerWeights merger;
  merger.postshuffle_norm = postshuffle_norm;
  FOVEA_ASSIGN_OR_RETURN(merger.norm_weight,
                         loader.load_tensor(prefix + "norm.weight", {norm_width}, DummyInit::kOnes));
  FOVEA_ASSIGN_OR_RETURN(merger.norm_bias, loader.load_tensor(prefix + "norm.bias", {norm_width}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(merger.fc1, loader.load_linear(prefix + "linear_fc1", merged, merged));
  FOVEA_ASSIGN_OR_RETURN(merger.fc1_bias, loader.load_tensor(prefix + "linear_fc1.bias", {merged}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(merger.fc2, loader.load_linear(prefix + "linear_fc2", config.out_hidden_size, merged));
  FOVEA_ASSIGN_OR_RETURN(merger.fc2_bias,
                         loader.load_tensor(prefix + "linear_fc2.bias", {config.out_hidden_size}, DummyInit::kZeros));
  return merger;
}

}  // namespace

base::Result<VisionWeights> load_vision_weights(WeightLoader& loader, const io::VisionConfig& config) {
  FOVEA_RETURN_IF_ERROR(check_vision_supported(config));
  const int64_t hidden = config.hidden_size;
  const int64_t patch_dim = config.in_channels * config.temporal_patch_size * config.patch_size * config.patch_size;
  VisionWeights weights;
  FOVEA_ASSIGN_OR_RETURN(weights.patch_embed,
                         loader.load_linear(kPrefix + "patch_embed.proj", hidden, patch_dim,
                                            tensor::Shape({hidden, config.in_channels, config.temporal_patch_size,
                                                           config.patch_size, config.patch_size})));
  FOVEA_ASSIGN_OR_RETURN(weights.patch_embed_bias,
                         loader.load_tensor(kPrefix + "patch_embed.proj.bias", {hidden}, DummyInit::kZeros));
  FOVEA_ASSIGN_OR_RETURN(weights.pos_embed,
                         loader.load_tensor(kPrefix + "pos_embed.weight", {config.num_position_embeddings, hidden},
                                            DummyInit::kEmbedding));
  weights.blocks.reserve(static_cast<size_t>(config.depth));
  for (int64_t block_idx = 0; block_idx < config.depth; ++block_idx) {
    FOVEA_ASSIGN_OR_RETURN(VisionBlockWeights block,
                           load_block(loader, config, fmt::format("{}blocks.{}.", kPrefix, block_idx)));
    weights.blocks.push_back(std::move(block));
  }
  FOVEA_ASSIGN_OR_RETURN(weights.merger, load_merger(loader, config, kPrefix + "merger.", false));
  for (size_t merger_idx = 0; merger_idx < config.deepstack_visual_indexes.size(); ++merger_idx) {
    FOVEA_ASSIGN_OR_RETURN(
        PatchMergerWeights merger,
        load_merger(loader, config, fmt::format("{}deepstack_merger_list.{}.", kPrefix, merger_idx), true));
    weights.deepstack_mergers.push_back(std::move(merger));
  }
  return weights;
}

}  // namespace fovea::model
