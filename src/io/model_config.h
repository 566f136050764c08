// ModelConfig: config.json of qwen3 / qwen3_vl checkpoints as typed structs, with Hugging Face field names and
// transformers' defaults for absent fields. Both the transformers-5 `rope_parameters` form and the older
// `rope_theta` + `rope_scaling` form are accepted. Must not contain model math or weight loading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/quantization_config.h"

namespace fovea::io {

enum class ModelType {
  kQwen3,       // "qwen3": text decoder
  kQwen3Vl,     // "qwen3_vl": vision tower + text decoder with interleaved MRoPE and DeepStack
  kQwen3Moe,    // "qwen3_moe": recognised, not supported yet
  kQwen3VlMoe,  // "qwen3_vl_moe": recognised, not supported yet
};

// The model_type strings fovea can run, for messages.
inline constexpr std::string_view kSupportedModelTypes = "qwen3, qwen3_vl";

// RoPE settings after transformers' standardisation (convert_rope_params_to_dict): one dict, theta inside.
struct RopeParameters {
  std::string rope_type = "default";  // "default", "yarn", ...
  double rope_theta = 10000.0;
  std::vector<int64_t> mrope_section;  // qwen3_vl: [24, 20, 20] (frequencies per t/h/w axis)
  bool mrope_interleaved = false;      // qwen3_vl always interleaves (HF ignores the flag); kept as written
  std::optional<double> factor;        // scaling factor of yarn/linear/dynamic RoPE
  std::optional<int64_t> original_max_position_embeddings;
  bool legacy_form = false;  // read from rope_theta + rope_scaling rather than rope_parameters
};

struct TextConfig {
  int64_t vocab_size = 151936;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 22016;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;
  int64_t head_dim = 128;
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 32768;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  RopeParameters rope_parameters;
  std::optional<bool> tie_word_embeddings;  // as written in this (sub-)config; ModelConfig has the effective one
  std::string dtype;                        // "dtype" or older "torch_dtype", if written here
  // qwen3 only: sliding-window attention (off in every released Qwen3 model).
  bool use_sliding_window = false;
  std::optional<int64_t> sliding_window;
  std::optional<int64_t> max_window_layers;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_id;
  std::optional<int64_t> pad_token_id;
  // MoE (qwen3_moe / qwen3_vl_moe only; num_experts == 0 for dense models).
  int64_t num_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  int64_t decoder_sparse_step = 1;
  std::vector<int64_t> mlp_only_layers;
  bool norm_topk_prob = false;

  // Whether decoder layer `layer_idx` has a sparse MoE block (HF's rule) rather than a dense MLP.
  bool is_moe_layer(int64_t layer_idx) const;
};

struct VisionConfig {
  int64_t depth = 27;
  int64_t hidden_size = 1152;
  std::string hidden_act = "gelu_pytorch_tanh";
  int64_t intermediate_size = 4304;
  int64_t num_heads = 16;
  int64_t in_channels = 3;
  int64_t patch_size = 16;
  int64_t spatial_merge_size = 2;
  int64_t temporal_patch_size = 2;
  int64_t out_hidden_size = 3584;
  int64_t num_position_embeddings = 2304;
  std::vector<int64_t> deepstack_visual_indexes = {8, 16, 24};  // 0-based vision block indices
  double rope_theta = 10000.0;                                  // of the 2-D vision rotary
};

struct ModelConfig {
  std::string model_type;  // as written
  ModelType type = ModelType::kQwen3;
  std::vector<std::string> architectures;
  std::string dtype;       // top-level "dtype" (transformers 5) or "torch_dtype" (older), e.g. "bfloat16"
  TextConfig text_config;  // qwen3: the top level itself; qwen3_vl: "text_config"
  std::optional<VisionConfig> vision_config;  // qwen3_vl only
  // qwen3_vl special tokens (defaults as transformers).
  int64_t image_token_id = 151655;
  int64_t video_token_id = 151656;
  int64_t vision_start_token_id = 151652;
  int64_t vision_end_token_id = 151653;
  // Effective tying of lm_head to embed_tokens: for qwen3_vl the top-level value wins (HF), default false.
  bool tie_word_embeddings = false;
  std::optional<QuantizationConfig> quantization_config;

  bool has_vision() const { return vision_config.has_value(); }
  bool is_moe() const { return type == ModelType::kQwen3Moe || type == ModelType::kQwen3VlMoe; }
};

// Parses config.json text of any recognised model_type (MoE included, for describing a folder); `file_label` names
// the file in errors. An unknown model_type is an error that lists the supported ones.
base::Result<ModelConfig> parse_model_config(std::string_view text, std::string_view file_label);

// Unsupported when fovea cannot run this model type yet (qwen3_moe, qwen3_vl_moe), naming it.
base::Status check_model_supported(const ModelConfig& config);

// Reads MODEL_DIR/config.json (and quantize_config.json when config.json has no quantization_config) for
// describing a folder: MoE types are accepted.
base::Result<ModelConfig> read_model_config(const std::string& model_dir);

// read_model_config + check_model_supported: what loaders of runnable models call.
base::Result<ModelConfig> load_model_config(const std::string& model_dir);

}  // namespace fovea::io
