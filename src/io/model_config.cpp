// config.json parsing for qwen3 / qwen3_vl (and the MoE variants, described but not run), with transformers'
// defaults (transformers 5 configuration_qwen3*.py) and RoPE standardisation.
#include "io/model_config.h"

#include <algorithm>

#include "base/file_util.h"
#include "io/json_reader.h"

namespace fovea::io {
namespace {

using nlohmann::json;

std::optional<ModelType> model_type_from_name(std::string_view name) {
  if (name == "qwen3") return ModelType::kQwen3;
  if (name == "qwen3_vl") return ModelType::kQwen3Vl;
  if (name == "qwen3_moe") return ModelType::kQwen3Moe;
  if (name == "qwen3_vl_moe") return ModelType::kQwen3VlMoe;
  return std::nullopt;
}

// Class defaults of the text config of each model type (transformers 5).
TextConfig default_text_config(ModelType type) {
  TextConfig text;
  switch (type) {
    case ModelType::kQwen3:
      text.rope_parameters.rope_theta = 10000.0;
      text.sliding_window = 4096;
      text.max_window_layers = 28;
      break;
    case ModelType::kQwen3Vl:
      text.max_position_embeddings = 128000;
      text.rope_parameters.rope_theta = 500000.0;
      text.rope_parameters.mrope_section = {24, 20, 20};
      text.rope_parameters.mrope_interleaved = true;
      break;
    case ModelType::kQwen3Moe:
      text.hidden_size = 2048;
      text.intermediate_size = 6144;
      text.num_hidden_layers = 24;
      text.num_key_value_heads = 4;
      text.rope_parameters.rope_theta = 10000.0;
      text.num_experts = 128;
      text.num_experts_per_tok = 8;
      text.moe_intermediate_size = 768;
      text.sliding_window = 4096;
      break;
    case ModelType::kQwen3VlMoe:
      text.hidden_size = 2048;
      text.intermediate_size = 5632;
      text.num_hidden_layers = 24;
      text.num_attention_heads = 16;
      text.num_key_value_heads = 16;
      text.max_position_embeddings = 128000;
      text.rope_parameters.rope_theta = 500000.0;
      text.rope_parameters.mrope_section = {24, 20, 20};
      text.rope_parameters.mrope_interleaved = true;
      text.num_experts = 60;
      text.num_experts_per_tok = 4;
      text.moe_intermediate_size = 1408;
      text.norm_topk_prob = true;  // the VL MoE block always renormalises its top-k weights
      break;
  }
  return text;
}

bool is_truthy_object(const json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_object() && !it->empty();
}

// transformers' convert_rope_params_to_dict: rope_scaling (legacy) or rope_parameters is the dict; rope_theta
// inside it wins over a legacy top-level rope_theta, which wins over the class default; rope_type falls back to
// the legacy "type" key.
void read_rope(const JsonReader& reader, const json& object, RopeParameters& rope) {
  const char* dict_key = nullptr;
  if (reader.has(object, "rope_scaling") && !object.at("rope_scaling").is_object()) {
    reader.fail("rope_scaling", "must be an object or null but is " + json_type_phrase(object.at("rope_scaling")));
    return;
  }
  if (is_truthy_object(object, "rope_scaling")) {
    dict_key = "rope_scaling";
  } else if (reader.has(object, "rope_parameters")) {
    dict_key = "rope_parameters";
    if (!object.at("rope_parameters").is_object()) {
      reader.fail("rope_parameters", "must be an object but is " + json_type_phrase(object.at("rope_parameters")));
      return;
    }
  }
  rope.legacy_form =
      dict_key == nullptr ? reader.has(object, "rope_theta") : std::string_view(dict_key) == "rope_scaling";
  reader.read(object, "rope_theta", rope.rope_theta);
  if (dict_key == nullptr) return;
  const json& dict = object.at(dict_key);
  JsonReader dict_reader = reader.child(dict_key);
  dict_reader.read(dict, "rope_theta", rope.rope_theta);
  dict_reader.read(dict, "type", rope.rope_type);
  dict_reader.read(dict, "rope_type", rope.rope_type);
  dict_reader.read(dict, "mrope_section", rope.mrope_section);
  dict_reader.read(dict, "mrope_interleaved", rope.mrope_interleaved);
  dict_reader.read(dict, "factor", rope.factor);
  dict_reader.read(dict, "original_max_position_embeddings", rope.original_max_position_embeddings);
  if (!(rope.rope_theta > 0)) dict_reader.fail("rope_theta", "must be positive");
  if (dict.contains("mrope_section") &&
      (rope.mrope_section.size() != 3 ||
       std::any_of(rope.mrope_section.begin(), rope.mrope_section.end(), [](int64_t n) { return n < 0; }))) {
    dict_reader.fail("mrope_section", "must be three non-negative integers (t, h, w), e.g. [24, 20, 20]");
  }
}

void require_positive(const JsonReader& reader, std::string_view key, int64_t value) {
  if (value <= 0) reader.fail(key, fmt::format("must be positive but is {}", value));
}

void read_text_config(const JsonReader& reader, const json& object, ModelType type, TextConfig& text) {
  reader.read(object, "vocab_size", text.vocab_size);
  reader.read(object, "hidden_size", text.hidden_size);
  reader.read(object, "intermediate_size", text.intermediate_size);
  reader.read(object, "num_hidden_layers", text.num_hidden_layers);
  reader.read(object, "num_attention_heads", text.num_attention_heads);
  // num_key_value_heads: an explicit null means one KV head per query head (HF __post_init__).
  reader.read(object, "num_key_value_heads", text.num_key_value_heads);
  if (object.contains("num_key_value_heads") && object.at("num_key_value_heads").is_null()) {
    text.num_key_value_heads = text.num_attention_heads;
  }
  // head_dim: MoE configs default it to hidden_size / num_attention_heads (HF), dense ones to 128.
  bool moe = type == ModelType::kQwen3Moe || type == ModelType::kQwen3VlMoe;
  if (moe && text.num_attention_heads > 0) text.head_dim = text.hidden_size / text.num_attention_heads;
  reader.read(object, "head_dim", text.head_dim);
  reader.read(object, "hidden_act", text.hidden_act);
  reader.read(object, "max_position_embeddings", text.max_position_embeddings);
  reader.read(object, "rms_norm_eps", text.rms_norm_eps);
  reader.read(object, "attention_bias", text.attention_bias);
  reader.read(object, "tie_word_embeddings", text.tie_word_embeddings);
  reader.read(object, "torch_dtype", text.dtype);
  reader.read(object, "dtype", text.dtype);
  reader.read(object, "use_sliding_window", text.use_sliding_window);
  if (object.contains("sliding_window") && object.at("sliding_window").is_null()) text.sliding_window.reset();
  reader.read(object, "sliding_window", text.sliding_window);
  reader.read(object, "max_window_layers", text.max_window_layers);
  reader.read(object, "bos_token_id", text.bos_token_id);
  reader.read_int_or_list(object, "eos_token_id", text.eos_token_id);
  reader.read(object, "pad_token_id", text.pad_token_id);
  read_rope(reader, object, text.rope_parameters);

  require_positive(reader, "vocab_size", text.vocab_size);
  require_positive(reader, "hidden_size", text.hidden_size);
  require_positive(reader, "intermediate_size", text.intermediate_size);
  require_positive(reader, "num_hidden_layers", text.num_hidden_layers);
  require_positive(reader, "num_attention_heads", text.num_attention_heads);
  require_positive(reader, "num_key_value_heads", text.num_key_value_heads);
  require_positive(reader, "head_dim", text.head_dim);
  if (reader.ok() && text.num_attention_heads % text.num_key_value_heads != 0) {
    reader.fail("num_key_value_heads", fmt::format("({}) must divide num_attention_heads ({})",
                                                   text.num_key_value_heads, text.num_attention_heads));
  }
  if (!(text.rms_norm_eps > 0)) reader.fail("rms_norm_eps", "must be positive");

  if (!moe) return;
  // transformers 5 writes num_local_experts (its attribute_map alias of num_experts); older files num_experts.
  reader.read(object, "num_experts", text.num_experts);
  reader.read(object, "num_local_experts", text.num_experts);
  reader.read(object, "num_experts_per_tok", text.num_experts_per_tok);
  reader.read(object, "moe_intermediate_size", text.moe_intermediate_size);
  reader.read(object, "decoder_sparse_step", text.decoder_sparse_step);
  reader.read(object, "mlp_only_layers", text.mlp_only_layers);
  reader.read(object, "norm_topk_prob", text.norm_topk_prob);
  if (text.num_experts < 0) reader.fail("num_experts", "must not be negative");
  if (text.num_experts > 0 && (text.num_experts_per_tok <= 0 || text.num_experts_per_tok > text.num_experts)) {
    reader.fail("num_experts_per_tok", fmt::format("must be between 1 and num_experts ({})", text.num_experts));
  }
  if (text.num_experts > 0) require_positive(reader, "moe_intermediate_size", text.moe_intermediate_size);
  require_positive(reader, "decoder_sparse_step", text.decoder_sparse_step);
}

void read_vision_config(const JsonReader& reader, const json& object, VisionConfig& vision) {
  reader.read(object, "depth", vision.depth);
  reader.read(object, "hidden_size", vision.hidden_size);
  reader.read(object, "hidden_act", vision.hidden_act);
  reader.read(object, "intermediate_size", vision.intermediate_size);
  reader.read(object, "num_heads", vision.num_heads);
  reader.read(object, "in_channels", vision.in_channels);
  reader.read(object, "patch_size", vision.patch_size);
  reader.read(object, "spatial_merge_size", vision.spatial_merge_size);
  reader.read(object, "temporal_patch_size", vision.temporal_patch_size);
  reader.read(object, "out_hidden_size", vision.out_hidden_size);
  reader.read(object, "num_position_embeddings", vision.num_position_embeddings);
  reader.read(object, "deepstack_visual_indexes", vision.deepstack_visual_indexes);
  if (reader.has(object, "rope_parameters") && object.at("rope_parameters").is_object()) {
    reader.child("rope_parameters").read(object.at("rope_parameters"), "rope_theta", vision.rope_theta);
  }
  require_positive(reader, "depth", vision.depth);
  require_positive(reader, "hidden_size", vision.hidden_size);
  require_positive(reader, "intermediate_size", vision.intermediate_size);
  require_positive(reader, "num_heads", vision.num_heads);
  require_positive(reader, "in_channels", vision.in_channels);
  require_positive(reader, "patch_size", vision.patch_size);
  require_positive(reader, "spatial_merge_size", vision.spatial_merge_size);
  require_positive(reader, "temporal_patch_size", vision.temporal_patch_size);
  require_positive(reader, "out_hidden_size", vision.out_hidden_size);
  require_positive(reader, "num_position_embeddings", vision.num_position_embeddings);
  if (reader.ok() && vision.hidden_size % vision.num_heads != 0) {
    reader.fail("num_heads", fmt::format("({}) must divide hidden_size ({})", vision.num_heads, vision.hidden_size));
  }
  for (int64_t block_idx : vision.deepstack_visual_indexes) {
    if (block_idx < 0 || block_idx >= vision.depth) {
      reader.fail("deepstack_visual_indexes",
                  fmt::format("holds {}, which is not a vision block index (depth is {})", block_idx, vision.depth));
    }
  }
}

}  // namespace

bool TextConfig::is_moe_layer(int64_t layer_idx) const {
  bool dense_only = std::find(mlp_only_layers.begin(), mlp_only_layers.end(), layer_idx) != mlp_only_layers.end();
  return !dense_only && num_experts > 0 && decoder_sparse_step > 0 && (layer_idx + 1) % decoder_sparse_step == 0;
}

base::Result<ModelConfig> parse_model_config(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_json(text, file_label, /*reject_duplicate_keys=*/false));
  if (!object.is_object()) {
    return base::invalid_argument("{} must be a JSON object but is {}", file_label, json_type_phrase(object));
  }
  base::Status status;
  JsonReader reader(std::string(file_label), &status);
  ModelConfig config;
  reader.read(object, "model_type", config.model_type);
  FOVEA_RETURN_IF_ERROR(status);
  if (config.model_type.empty()) {
    return base::invalid_argument("{} has no model_type; fovea supports {}", file_label, kSupportedModelTypes);
  }
  std::optional<ModelType> type = model_type_from_name(config.model_type);
  if (!type) {
    return base::unsupported("{}: model_type \"{}\" is not supported; fovea supports {}", file_label, config.model_type,
                             kSupportedModelTypes);
  }
  config.type = *type;
  reader.read(object, "architectures", config.architectures);
  reader.read(object, "torch_dtype", config.dtype);
  reader.read(object, "dtype", config.dtype);
  config.text_config = default_text_config(config.type);

  bool vision_language = config.type == ModelType::kQwen3Vl || config.type == ModelType::kQwen3VlMoe;
  if (!vision_language) {
    read_text_config(reader, object, config.type, config.text_config);
    config.tie_word_embeddings = config.text_config.tie_word_embeddings.value_or(false);
  } else {
    json empty = json::object();
    for (const char* key : {"text_config", "vision_config"}) {
      if (reader.has(object, key) && !object.at(key).is_object()) {
        reader.fail(key, "must be an object but is " + json_type_phrase(object.at(key)));
      }
    }
    FOVEA_RETURN_IF_ERROR(status);
    const json& text_object = reader.has(object, "text_config") ? object.at("text_config") : empty;
    const json& vision_object = reader.has(object, "vision_config") ? object.at("vision_config") : empty;
    read_text_config(reader.child("text_config"), text_object, config.type, config.text_config);
    // Older checkpoints keep the generation ids at the top level only.
    if (!config.text_config.bos_token_id) reader.read(object, "bos_token_id", config.text_config.bos_token_id);
    if (config.text_config.eos_token_id.empty())
      reader.read_int_or_list(object, "eos_token_id", config.text_config.eos_token_id);
    config.vision_config.emplace();
    read_vision_config(reader.child("vision_config"), vision_object, *config.vision_config);
    reader.read(object, "image_token_id", config.image_token_id);
    reader.read(object, "video_token_id", config.video_token_id);
    reader.read(object, "vision_start_token_id", config.vision_start_token_id);
    reader.read(object, "vision_end_token_id", config.vision_end_token_id);
    // Qwen3VLForConditionalGeneration ties by the top-level flag (default false), whatever text_config says.
    reader.read(object, "tie_word_embeddings", config.tie_word_embeddings);
  }
  FOVEA_RETURN_IF_ERROR(status);

  if (reader.has(object, "quantization_config")) {
    const json& quantization = object.at("quantization_config");
    if (!quantization.is_object()) {
      return base::invalid_argument("{}: quantization_config must be an object but is {}", file_label,
                                    json_type_phrase(quantization));
    }
    FOVEA_ASSIGN_OR_RETURN(
        QuantizationConfig parsed,
        parse_quantization_config(quantization.dump(-1, ' ', false, json::error_handler_t::replace), file_label));
    parsed.source_file = "config.json";
    config.quantization_config = std::move(parsed);
  }
  return config;
}

base::Status check_model_supported(const ModelConfig& config) {
  if (config.is_moe()) {
    return base::unsupported("model_type \"{}\" (mixture of experts) is not supported yet; fovea runs {}",
                             config.model_type, kSupportedModelTypes);
  }
  return base::Status::ok_status();
}

base::Result<ModelConfig> read_model_config(const std::string& model_dir) {
  std::string path = model_dir + "/config.json";
  base::Result<std::string> text = base::read_file(path, uint64_t{64} << 20);
  if (!text.ok()) {
    if (text.status().code() == base::StatusCode::kNotFound) {
      return base::not_found("{} has no config.json; is it a Hugging Face model folder?", model_dir);
    }
    return text.status();
  }
  FOVEA_ASSIGN_OR_RETURN(ModelConfig config, parse_model_config(*text, path));
  std::string gptq_path = model_dir + "/quantize_config.json";
  if (!config.quantization_config && base::file_exists(gptq_path)) {
    FOVEA_ASSIGN_OR_RETURN(std::string gptq_text, base::read_file(gptq_path, uint64_t{1} << 20));
    FOVEA_ASSIGN_OR_RETURN(QuantizationConfig gptq,
                           parse_quantization_config(gptq_text, gptq_path, /*assume_gptq=*/true));
    gptq.source_file = "quantize_config.json";
    config.quantization_config = std::move(gptq);
  }
  return config;
}

base::Result<ModelConfig> load_model_config(const std::string& model_dir) {
  FOVEA_ASSIGN_OR_RETURN(ModelConfig config, read_model_config(model_dir));
  FOVEA_RETURN_IF_ERROR(check_model_supported(config).with_context(model_dir + "/config.json"));
  return config;
}

}  // namespace fovea::io
