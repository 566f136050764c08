// GenerationConfig: generation_config.json (sampling defaults and stop ids), with transformers' defaults for
// absent keys; without the file, the token ids come from config.json (GenerationConfig.from_model_config).
// Must not contain sampling code.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/model_config.h"

namespace fovea::io {

struct GenerationConfig {
  std::string source_file;                            // "generation_config.json", or "" when derived from config.json
  std::set<std::string, std::less<>> fields_in_file;  // keys the file sets (servers default only these, as vLLM)
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_id;  // generation stops at any of these
  std::optional<int64_t> pad_token_id;
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  std::optional<double> min_p;
  double repetition_penalty = 1.0;
  int64_t max_length = 20;
  std::optional<int64_t> max_new_tokens;

  bool in_file(std::string_view field) const { return fields_in_file.contains(field); }
};

base::Result<GenerationConfig> parse_generation_config(std::string_view text, std::string_view file_label);

// MODEL_DIR/generation_config.json if present; otherwise defaults with bos/eos/pad ids from `model_config`.
base::Result<GenerationConfig> load_generation_config(const std::string& model_dir, const ModelConfig& model_config);

}  // namespace fovea::io
