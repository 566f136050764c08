// generation_config.json parsing (transformers GenerationConfig defaults for absent keys).
#include "io/generation_config.h"

#include "base/file_util.h"
#include "io/json_reader.h"

namespace fovea::io {

base::Result<GenerationConfig> parse_generation_config(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(nlohmann::json object, parse_json(text, file_label, /*reject_duplicate_keys=*/false));
  if (!object.is_object()) {
    return base::invalid_argument("{} must be a JSON object but is {}", file_label, json_type_phrase(object));
  }
  base::Status status;
  JsonReader reader(std::string(file_label), &status);
  GenerationConfig config;
  config.source_file = "generation_config.json";
  for (const auto& [key, value] : object.items()) {
    if (!value.is_null()) config.fields_in_file.insert(key);
  }
  reader.read(object, "bos_token_id", config.bos_token_id);
  reader.read_int_or_list(object, "eos_token_id", config.eos_token_id);
  reader.read(object, "pad_token_id", config.pad_token_id);
  reader.read(object, "do_sample", config.do_sample);
  reader.read(object, "temperature", config.temperature);
  reader.read(object, "top_k", config.top_k);
  reader.read(object, "top_p", config.top_p);
  reader.read(object, "min_p", config.min_p);
  reader.read(object, "repetition_penalty", config.repetition_penalty);
  reader.read(object, "max_length", config.max_length);
  reader.read(object, "max_new_tokens", config.max_new_tokens);
  if (config.temperature < 0) reader.fail("temperature", "must not be negative");
  if (config.top_k < 0) reader.fail("top_k", "must not be negative");
  if (!(config.top_p > 0 && config.top_p <= 1)) reader.fail("top_p", "must be in (0, 1]");
  if (config.min_p && !(*config.min_p >= 0 && *config.min_p <= 1)) reader.fail("min_p", "must be in [0, 1]");
  if (!(config.repetition_penalty > 0)) reader.fail("repetition_penalty", "must be positive");
  FOVEA_RETURN_IF_ERROR(status);
  return config;
}

base::Result<GenerationConfig> load_generation_config(const std::string& model_dir, const ModelConfig& model_config) {
  std::string path = model_dir + "/generation_config.json";
  if (base::file_exists(path)) {
    FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(path, uint64_t{16} << 20));
    return parse_generation_config(text, path);
  }
  GenerationConfig config;
  config.bos_token_id = model_config.text_config.bos_token_id;
  config.eos_token_id = model_config.text_config.eos_token_id;
  config.pad_token_id = model_config.text_config.pad_token_id;
  return config;
}

}  // namespace fovea::io
