// ParameterCensus: parameter counts, bytes and dtypes per model component (vision tower, embeddings, decoder
// layers, final norm, lm_head), either from a checkpoint's tensors or computed from config.json alone (what the
// memory planner needs before any weight is read). Must not read tensor data.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "io/model_config.h"
#include "io/weight_table.h"
#include "tensor/dtype.h"

namespace fovea::io {

enum class ModelComponent { kVisionTower, kEmbeddings, kDecoderLayers, kFinalNorm, kLmHead, kOther };
inline constexpr int kNumModelComponents = 6;

// "vision_tower", "embeddings", "decoder_layers", "final_norm", "lm_head", "other".
std::string_view component_name(ModelComponent component);

// The component of an HF tensor name (qwen3: model.*, qwen3_vl: model.visual.* / model.language_model.*).
ModelComponent classify_tensor(std::string_view name);

struct ComponentCensus {
  uint64_t num_params = 0;            // real parameters; a packed int32 word of b-bit values counts 32/b
  uint64_t num_packed_params = 0;     // the part of num_params unpacked from int32 words (int4: 8 per word)
  uint64_t num_tensors = 0;           // tensors in the checkpoint (0 for a census from config)
  uint64_t weight_bytes = 0;          // bytes of every tensor, quantization scales/zeros included
  std::vector<tensor::DType> dtypes;  // sorted, distinct
};

struct ParameterCensus {
  std::array<ComponentCensus, kNumModelComponents> components;
  bool from_weights = false;  // counted from the checkpoint's tensors rather than computed from config.json
  bool lm_head_tied = false;  // lm_head shares embed_tokens (tie_word_embeddings and no lm_head tensor)
  bool bytes_known = true;    // false for a census from config when the stored dtype is unknown or quantized
  int64_t packed_bits = 0;    // bits of the packed values, when packed int32 weights were found

  const ComponentCensus& operator[](ModelComponent component) const {
    return components[static_cast<size_t>(component)];
  }
  ComponentCensus& operator[](ModelComponent component) { return components[static_cast<size_t>(component)]; }
  uint64_t total_params() const;
  uint64_t total_packed_params() const;
  uint64_t total_bytes() const;
};

// Counts the checkpoint's tensors. Packed int32 weights (compressed-tensors weight_packed, AWQ/GPTQ qweight) count
// 32/bits parameters per word (bits from the quantization config, 4 by default); scales, zero points, g_idx and
// shape tensors count as bytes, not parameters.
ParameterCensus census_from_weights(const WeightTable& weights, const ModelConfig& config);

// The parameter counts the model has per its config (as transformers instantiates it, tied lm_head counted once).
// Bytes assume the config's dtype for every parameter (bytes_known false when quantized or dtype unknown).
ParameterCensus census_from_config(const ModelConfig& config);

}  // namespace fovea::io
