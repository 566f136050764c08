// The tensor-parallel split of qwen3 / qwen3_vl checkpoints: module placement by name (vLLM's qwen3.py and
// qwen3_vl.py layer classes), feature ranges per rank, and the stored axes of every weight format (spec §6) that
// those ranges land on.
#include "io/tensor_parallel_layout.h"

#include <algorithm>

namespace fovea::io {
namespace {

using base::Status;

enum class ModuleKind : uint8_t {
  kOther,
  kQ,
  kK,
  kV,
  kO,
  kGate,
  kUp,
  kDown,
  kEmbed,
  kLmHead,
  kVisionQkv,
  kVisionProj,
  kVisionFc1,
  kVisionFc2,
  kMergerFc1,
  kMergerFc2,
};

bool in_vision_tower(std::string_view name) {
  return name.starts_with("visual.") || name.find(".visual.") != std::string_view::npos ||
         name.starts_with("model.visual");
}

ModuleKind kind_of(std::string_view name) {
  if (in_vision_tower(name)) {
    const bool merger = name.find("merger") != std::string_view::npos;
    if (name.ends_with(".attn.qkv")) return ModuleKind::kVisionQkv;
    if (name.ends_with(".attn.proj")) return ModuleKind::kVisionProj;
    if (name.ends_with(".linear_fc1")) return merger ? ModuleKind::kMergerFc1 : ModuleKind::kVisionFc1;
    if (name.ends_with(".linear_fc2")) return merger ? ModuleKind::kMergerFc2 : ModuleKind::kVisionFc2;
    return ModuleKind::kOther;  // patch_embed.proj, pos_embed, norms
  }
  struct Suffix {
    std::string_view suffix;
    ModuleKind kind;
  };
  static constexpr Suffix kSuffixes[] = {
      {"self_attn.q_proj", ModuleKind::kQ}, {"self_attn.k_proj", ModuleKind::kK}, {"self_attn.v_proj", ModuleKind::kV},
      {"self_attn.o_proj", ModuleKind::kO}, {"mlp.gate_proj", ModuleKind::kGate}, {"mlp.up_proj", ModuleKind::kUp},
      {"mlp.down_proj", ModuleKind::kDown}, {"embed_tokens", ModuleKind::kEmbed}, {"lm_head", ModuleKind::kLmHead},
  };
  for (const Suffix& entry : kSuffixes) {
    // A dotted suffix match without building a string (GCC 12 at -O3 reports a false -Wrestrict on the concatenation).
    const bool dotted_suffix = name.size() > entry.suffix.size() && name.ends_with(entry.suffix) &&
                               name[name.size() - entry.suffix.size() - 1] == '.';
    if (name == entry.suffix || dotted_suffix) return entry.kind;
  }
  return ModuleKind::kOther;
}

TpSplit split_of_kind(ModuleKind kind) {
  switch (kind) {
    case ModuleKind::kQ:
    case ModuleKind::kGate:
    case ModuleKind::kUp:
    case ModuleKind::kVisionQkv:
    case ModuleKind::kVisionFc1:
    case ModuleKind::kMergerFc1:
      return TpSplit::kColumn;
    case ModuleKind::kK:
    case ModuleKind::kV:
      return TpSplit::kKvHeads;
    case ModuleKind::kO:
    case ModuleKind::kDown:
    case ModuleKind::kVisionProj:
    case ModuleKind::kVisionFc2:
    case ModuleKind::kMergerFc2:
      return TpSplit::kRow;
    case ModuleKind::kEmbed:
    case ModuleKind::kLmHead:
      return TpSplit::kVocab;
    case ModuleKind::kOther:
      break;
  }
  return TpSplit::kReplicated;
}

struct Features {
  int64_t out = 0;
  int64_t in = 0;
};

Features features_of(ModuleKind kind, const ModelConfig& config) {
  const TextConfig& text = config.text_config;
  const int64_t q_width = text.num_attention_heads * text.head_dim;
  const int64_t kv_width = text.num_key_value_heads * text.head_dim;
  const VisionConfig vision = config.vision_config.value_or(VisionConfig{});
  const int64_t merged = vision.hidden_size * vision.spatial_merge_size * vision.spatial_merge_size;
  switch (kind) {
    case ModuleKind::kQ:
      return {q_width, text.hidden_size};
    case ModuleKind::kK:
    case ModuleKind::kV:
      return {kv_width, text.hidden_size};
    case ModuleKind::kO:
      return {text.hidden_size, q_width};
    case ModuleKind::kGate:
    case ModuleKind::kUp:
      return {text.intermediate_size, text.hidden_size};
    case ModuleKind::kDown:
      return {text.hidden_size, text.intermediate_size};
    case ModuleKind::kEmbed:
    case ModuleKind::kLmHead:
      return {text.vocab_size, text.hidden_size};
    case ModuleKind::kVisionQkv:
      return {3 * vision.hidden_size, vision.hidden_size};
    case ModuleKind::kVisionProj:
      return {vision.hidden_size, vision.hidden_size};
    case ModuleKind::kVisionFc1:
      return {vision.intermediate_size, vision.hidden_size};
    case ModuleKind::kVisionFc2:
      return {vision.hidden_size, vision.intermediate_size};
    case ModuleKind::kMergerFc1:
      return {merged, merged};
    case ModuleKind::kMergerFc2:
      return {vision.out_hidden_size, merged};
    case ModuleKind::kOther:
      break;
  }
  return {};
}

// What one stored axis indexes: output features, input features, or neither (kept whole), and how many features
// one stored index covers (8 for an int32 word of int4 values, the group size, the FP8 block).
enum class Feature : uint8_t { kNone, kOut, kIn };
struct AxisRole {
  Feature feature = Feature::kNone;
  int64_t unit = 1;
  std::string_view unit_name;  // for messages: "int32 word of 8 values", "quantization group", "FP8 block"
};

struct QuantFacts {
  QuantMethod method = QuantMethod::kOther;
  bool quantized = false;
  int64_t values_per_word = 8;  // 32 / bits
  int64_t group_size = -1;
  bool act_order = false;  // scales and zeros keep every input group on every rank (vLLM's marlin rule)
  int64_t block_out = 128;
  int64_t block_in = 128;
};

QuantFacts quant_facts(const ModelConfig& config) {
  QuantFacts facts;
  if (!config.quantization_config) return facts;
  const QuantizationConfig& quant = *config.quantization_config;
  facts.quantized = true;
  facts.method = quant.method;
  if (quant.bits > 0 && quant.bits <= 32 && 32 % quant.bits == 0) facts.values_per_word = 32 / quant.bits;
  facts.group_size = quant.group_size;
  facts.act_order = quant.actorder == "group" || quant.actorder == "desc_act";
  if (quant.weight_block_size.size() == 2 && quant.weight_block_size[0] > 0 && quant.weight_block_size[1] > 0) {
    facts.block_out = quant.weight_block_size[0];
    facts.block_in = quant.weight_block_size[1];
  }
  return facts;
}

// The roles of the axes of `suffix` ("weight", "qweight", ...); an empty vector for tensors always kept whole.
base::Result<std::vector<AxisRole>> axis_roles(std::string_view suffix, const QuantFacts& quant) {
  const AxisRole out{Feature::kOut, 1, ""};
  const AxisRole in{Feature::kIn, 1, ""};
  const AxisRole out_words{Feature::kOut, quant.values_per_word, "int32 word of packed values"};
  const AxisRole in_words{Feature::kIn, quant.values_per_word, "int32 word of packed values"};
  // Per-group tensors: whole along the input when there are no groups, or when act-order keeps every group.
  const AxisRole in_groups = quant.group_size > 0 && !quant.act_order
                                 ? AxisRole{Feature::kIn, quant.group_size, "quantization group"}
                                 : AxisRole{};
  if (suffix == "weight") return std::vector<AxisRole>{out, in};
  if (suffix == "bias") return std::vector<AxisRole>{out};
  if (suffix == "weight_scale_inv") {
    return std::vector<AxisRole>{{Feature::kOut, quant.block_out, "FP8 block"},
                                 {Feature::kIn, quant.block_in, "FP8 block"}};
  }
  if (suffix == "weight_packed") return std::vector<AxisRole>{out, in_words};
  if (suffix == "weight_scale") return std::vector<AxisRole>{out, in_groups};
  if (suffix == "weight_zero_point") return std::vector<AxisRole>{out_words, in_groups};
  if (suffix == "weight_g_idx" || suffix == "g_idx") return std::vector<AxisRole>{in};
  if (suffix == "weight_shape" || suffix == "input_scale" || suffix == "weight_global_scale" ||
      suffix == "input_global_scale") {
    return std::vector<AxisRole>{};
  }
  if (quant.method == QuantMethod::kAwq) {
    if (suffix == "qweight") return std::vector<AxisRole>{in, out_words};
    if (suffix == "qzeros") return std::vector<AxisRole>{in_groups, out_words};
    if (suffix == "scales") return std::vector<AxisRole>{in_groups, out};
  }
  if (quant.method == QuantMethod::kGptq) {
    if (suffix == "qweight") return std::vector<AxisRole>{in_words, out};
    if (suffix == "qzeros") return std::vector<AxisRole>{in_groups, out_words};
    if (suffix == "scales") return std::vector<AxisRole>{in_groups, out};
  }
  return base::unsupported("fovea does not know how to split a tensor ending in '.{}' over tensor-parallel ranks",
                           suffix);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The feature ranges rank `rank_idx` holds of a split module, along its output (column, KV heads, vocab) or input
// (row) features.
std::vector<IndexRange> feature_ranges(TpSplit split, ModuleKind kind, const Features& features,
                                       const ModelConfig& config, int tp, int rank_idx, int64_t vocab_rows_per_rank) {
  const TextConfig& text = config.text_config;
  switch (split) {
    case TpSplit::kColumn: {
      const int64_t num_sections = kind == ModuleKind::kVisionQkv ? 3 : 1;  // fused q, k, v of the vision tower
      const int64_t section = features.out / num_sections;
      const int64_t per_rank = section / tp;
      std::vector<IndexRange> ranges;
      for (int64_t section_idx = 0; section_idx < num_sections; ++section_idx) {
        ranges.push_back({section_idx * section + rank_idx * per_rank, per_rank});
      }
      return ranges;
    }
    case TpSplit::kKvHeads: {
      const int64_t num_kv_heads = text.num_key_value_heads;
      const int64_t replicas = tp > num_kv_heads ? tp / num_kv_heads : 1;
      const int64_t heads_per_rank = std::max<int64_t>(num_kv_heads / tp, 1);
      const int64_t first_head = (rank_idx / replicas) * heads_per_rank;
      return {{first_head * text.head_dim, heads_per_rank * text.head_dim}};
    }
    case TpSplit::kRow: {
      const int64_t per_rank = features.in / tp;
      return {{rank_idx * per_rank, per_rank}};
    }
    case TpSplit::kVocab: {
      const int64_t begin = std::min(rank_idx * vocab_rows_per_rank, features.out);
      return {{begin, std::min(vocab_rows_per_rank, features.out - begin)}};
    }
    case TpSplit::kReplicated:
      break;
  }
  return {};
}

Status check_divides(std::string_view field, int64_t value, int tp, std::string_view what) {
  if (value % tp == 0) return Status();
  return base::invalid_argument(
      "--tensor-parallel-size {} cannot split {}: config.json's {} ({}) is not divisible by it; choose a size that "
      "divides {}",
      tp, what, field, value, value);
}

}  // namespace

std::string_view tp_split_name(TpSplit split) {
  switch (split) {
    case TpSplit::kReplicated:
      return "replicated";
    case TpSplit::kColumn:
      return "column";
    case TpSplit::kRow:
      return "row";
    case TpSplit::kKvHeads:
      return "kv-heads";
    case TpSplit::kVocab:
      return "vocab";
  }
  return "replicated";
}

TpSplit tp_split_of_module(std::string_view module_name) { return split_of_kind(kind_of(module_name)); }

base::Result<TensorParallelLayout> TensorParallelLayout::create(const ModelConfig& config, int tensor_parallel_size,
                                                                bool shard_vision_weights) {
  const int tp = tensor_parallel_size;
  if (tp < 1) return base::invalid_argument("--tensor-parallel-size must be at least 1 but is {}", tp);
  if (config.is_moe()) {
    return base::unsupported("tensor parallelism of MoE models ({}) is not supported; use a dense model",
                             config.model_type);
  }
  const TextConfig& text = config.text_config;
  if (text.num_attention_heads < 1 || text.num_key_value_heads < 1 || text.head_dim < 1) {
    return base::invalid_argument(
        "config.json: num_attention_heads, num_key_value_heads and head_dim must be positive");
  }
  FOVEA_RETURN_IF_ERROR(check_divides("num_attention_heads", text.num_attention_heads, tp, "the attention heads"));
  if (text.num_key_value_heads % tp != 0 && tp % text.num_key_value_heads != 0) {
    return base::invalid_argument(
        "--tensor-parallel-size {} cannot split the KV heads: config.json's num_key_value_heads ({}) must be a "
        "multiple of it, or it a multiple of them",
        tp, text.num_key_value_heads);
  }
  FOVEA_RETURN_IF_ERROR(check_divides("intermediate_size", text.intermediate_size, tp, "the MLP"));
  const int64_t padded_vocab = ceil_div(text.vocab_size, kVocabPaddingRows) * kVocabPaddingRows;
  FOVEA_RETURN_IF_ERROR(check_divides("vocab_size padded to a multiple of 64", padded_vocab, tp, "the vocabulary"));
  if (config.vision_config && shard_vision_weights) {
    const VisionConfig& vision = *config.vision_config;
    const int64_t merged = vision.hidden_size * vision.spatial_merge_size * vision.spatial_merge_size;
    const std::string_view what = "the vision tower (or use --mm-encoder-tp-mode data)";
    FOVEA_RETURN_IF_ERROR(check_divides("vision_config.num_heads", vision.num_heads, tp, what));
    FOVEA_RETURN_IF_ERROR(check_divides("vision_config.hidden_size", vision.hidden_size, tp, what));
    FOVEA_RETURN_IF_ERROR(check_divides("vision_config.intermediate_size", vision.intermediate_size, tp, what));
    FOVEA_RETURN_IF_ERROR(check_divides("the merger width (hidden_size x spatial_merge_size^2)", merged, tp, what));
  }
  return TensorParallelLayout(config, tp, shard_vision_weights);
}

TpSplit TensorParallelLayout::split_of_module(std::string_view module_name) const {
  if (tp_ == 1) return TpSplit::kReplicated;
  if (!shard_vision_ && in_vision_tower(module_name)) return TpSplit::kReplicated;
  return tp_split_of_module(module_name);
}

int64_t TensorParallelLayout::num_attention_heads_per_rank() const {
  return config_.text_config.num_attention_heads / tp_;
}

int64_t TensorParallelLayout::num_kv_heads_per_rank() const {
  return std::max<int64_t>(config_.text_config.num_key_value_heads / tp_, 1);
}

int64_t TensorParallelLayout::num_kv_head_replicas() const {
  const int64_t num_kv_heads = config_.text_config.num_key_value_heads;
  return tp_ > num_kv_heads ? tp_ / num_kv_heads : 1;
}

int64_t TensorParallelLayout::intermediate_size_per_rank() const { return config_.text_config.intermediate_size / tp_; }

int64_t TensorParallelLayout::vocab_rows_per_rank() const {
  return ceil_div(config_.text_config.vocab_size, kVocabPaddingRows) * kVocabPaddingRows / tp_;
}

IndexRange TensorParallelLayout::vocab_range(int rank_idx) const {
  const int64_t vocab = config_.text_config.vocab_size;
  const int64_t begin = std::min(rank_idx * vocab_rows_per_rank(), vocab);
  return {begin, std::min(vocab_rows_per_rank(), vocab - begin)};
}

base::Result<TpShard> TensorParallelLayout::shard(std::string_view tensor_name, std::span<const int64_t> stored_shape,
                                                  int rank_idx) const {
  if (rank_idx < 0 || rank_idx >= tp_) {
    return base::invalid_argument("rank {} is outside a tensor-parallel world of {}", rank_idx, tp_);
  }
  TpShard whole;
  whole.shape.assign(stored_shape.begin(), stored_shape.end());
  const size_t dot = tensor_name.rfind('.');
  if (dot == std::string_view::npos) return whole;
  const std::string_view module_name = tensor_name.substr(0, dot);
  const std::string_view suffix = tensor_name.substr(dot + 1);
  const TpSplit split = split_of_module(module_name);
  if (split == TpSplit::kReplicated) return whole;

  const QuantFacts quant = quant_facts(config_);
  FOVEA_ASSIGN_OR_RETURN(std::vector<AxisRole> roles, axis_roles(suffix, quant));
  int64_t numel = 1;
  for (int64_t extent : stored_shape) numel *= extent;
  if (roles.empty() || (numel == 1 && roles.size() != stored_shape.size())) return whole;  // scalars, shapes
  if (roles.size() != stored_shape.size()) {
    return base::data_loss("{} has {} dimensions where its format has {}; the checkpoint does not match config.json",
                           tensor_name, stored_shape.size(), roles.size());
  }
  const ModuleKind kind = kind_of(module_name);
  const Features features = features_of(kind, config_);
  const Feature split_feature = split == TpSplit::kRow ? Feature::kIn : Feature::kOut;
  for (size_t axis = 0; axis < roles.size(); ++axis) {
    const AxisRole& role = roles[axis];
    if (role.feature == Feature::kNone) continue;
    const int64_t total = role.feature == Feature::kOut ? features.out : features.in;
    if (stored_shape[axis] != ceil_div(total, role.unit)) {
      return base::data_loss("{} is {} long along axis {} where config.json implies {}; the checkpoint does not match",
                             tensor_name, stored_shape[axis], axis, ceil_div(total, role.unit));
    }
  }
  const auto split_axis =
      std::find_if(roles.begin(), roles.end(), [&](const AxisRole& role) { return role.feature == split_feature; });
  if (split_axis == roles.end()) {
    whole.rank0_only = split == TpSplit::kRow && suffix == "bias";
    return whole;
  }
  const auto axis = static_cast<int>(split_axis - roles.begin());
  const AxisRole& role = *split_axis;
  const int64_t total = role.feature == Feature::kOut ? features.out : features.in;

  TpShard shard;
  shard.axis = axis;
  shard.shape = whole.shape;
  int64_t held = 0;
  for (const IndexRange& range : feature_ranges(split, kind, features, config_, tp_, rank_idx, vocab_rows_per_rank())) {
    const int64_t end = range.begin + range.count;
    if (range.begin % role.unit != 0 || (end % role.unit != 0 && end != total)) {
      return base::invalid_argument(
          "--tensor-parallel-size {} cannot shard {}: rank {}'s {} shard ({} features from {}) does not start and "
          "end on a whole {} of {}; choose a tensor-parallel size whose shard width is a multiple of {}",
          tp_, tensor_name, rank_idx, tp_split_name(split), range.count, range.begin, role.unit_name, role.unit,
          role.unit);
    }
    const IndexRange stored{range.begin / role.unit, ceil_div(end, role.unit) - range.begin / role.unit};
    shard.ranges.push_back(stored);
    held += stored.count;
  }
  // Vocab-parallel shards are padded to the same height on every rank (the padding rows are zero).
  shard.shape[static_cast<size_t>(axis)] = split == TpSplit::kVocab ? ceil_div(vocab_rows_per_rank(), role.unit) : held;
  return shard;
}

}  // namespace fovea::io
