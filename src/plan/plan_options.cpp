// Validation of PlanOptions and parsing of the JSON-valued multimodal flags (nlohmann stays inside this file).
#include "plan/plan_options.h"

#include <nlohmann/json.hpp>

namespace fovea::plan {
namespace {

using nlohmann::json;

base::Result<json> parse_object(std::string_view text, std::string_view flag) {
  json value;
  try {
    value = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    return base::invalid_argument(
        "{} '{}' is not valid JSON; write it as an object such as {}", flag, text,
        flag == "--limit-mm-per-prompt" ? R"('{"image": 3, "video": 0}')" : R"('{"max_pixels": 1048576}')");
  }
  if (!value.is_object()) return base::invalid_argument("{} must be a JSON object but is '{}'", flag, text);
  return value;
}

base::Result<int64_t> positive_int(const json& value, std::string_view what, int64_t minimum) {
  if (!value.is_number_integer() || value.get<int64_t>() < minimum) {
    return base::invalid_argument("{} must be an integer of at least {} but is {}", what, minimum, value.dump());
  }
  return value.get<int64_t>();
}

}  // namespace

base::Result<EncoderTpMode> parse_encoder_tp_mode(std::string_view text) {
  if (text == "weights") return EncoderTpMode::kWeights;
  if (text == "data") return EncoderTpMode::kData;
  return base::invalid_argument("--mm-encoder-tp-mode '{}' is not a mode; choose weights or data", text);
}

std::string_view encoder_tp_mode_name(EncoderTpMode mode) {
  return mode == EncoderTpMode::kWeights ? "weights" : "data";
}

base::Status PlanOptions::validate() const {
  if (tensor_parallel_size < 1 || tensor_parallel_size > 64) {
    return base::invalid_argument("--tensor-parallel-size must be between 1 and 64 but is {}", tensor_parallel_size);
  }
  if (!(gpu_memory_utilization > 0.0 && gpu_memory_utilization <= 1.0)) {
    return base::invalid_argument("--gpu-memory-utilization must be in (0, 1] but is {}", gpu_memory_utilization);
  }
  if (max_model_len && *max_model_len < 1) {
    return base::invalid_argument("--max-model-len must be at least 1 but is {}", *max_model_len);
  }
  if (max_num_seqs && (*max_num_seqs < 1 || *max_num_seqs > (int64_t{1} << 20))) {
    return base::invalid_argument("--max-num-seqs must be between 1 and 1048576 but is {}", *max_num_seqs);
  }
  if (max_num_batched_tokens && (*max_num_batched_tokens < 1 || *max_num_batched_tokens > (int64_t{1} << 24))) {
    return base::invalid_argument("--max-num-batched-tokens must be between 1 and 16777216 but is {}",
                                  *max_num_batched_tokens);
  }
  if (max_num_seqs && max_num_batched_tokens && *max_num_batched_tokens < *max_num_seqs) {
    return base::invalid_argument(
        "--max-num-batched-tokens ({}) must be at least --max-num-seqs ({}): every running sequence needs a token "
        "in each step",
        *max_num_batched_tokens, *max_num_seqs);
  }
  if (max_pixels && *max_pixels < 1) return base::invalid_argument("max_pixels must be at least 1");
  if (block_size_tokens < 1) return base::invalid_argument("the KV block size must be at least 1 token");
  return base::Status();
}

base::Status parse_limit_mm_per_prompt(std::string_view json_text, PlanOptions& options) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_object(json_text, "--limit-mm-per-prompt"));
  for (const auto& [modality, value] : object.items()) {
    if (modality != "image" && modality != "video" && modality != "audio") {
      return base::invalid_argument("--limit-mm-per-prompt: '{}' is not a modality; use image, video or audio",
                                    modality);
    }
    const json& count_value = value.is_object() && value.contains("count") ? value.at("count") : value;
    FOVEA_ASSIGN_OR_RETURN(int64_t count,
                           positive_int(count_value, fmt::format("--limit-mm-per-prompt {}", modality), 0));
    if (modality == "image") options.max_images_per_prompt = count;
    if (modality == "video") options.max_videos_per_prompt = count;
  }
  return base::Status();
}

base::Status parse_mm_processor_kwargs(std::string_view json_text, PlanOptions& options,
                                       std::vector<std::string>& ignored_keys) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_object(json_text, "--mm-processor-kwargs"));
  for (const auto& [key, value] : object.items()) {
    if (key == "max_pixels") {
      FOVEA_ASSIGN_OR_RETURN(options.max_pixels, positive_int(value, "--mm-processor-kwargs max_pixels", 1));
    } else if (key == "size" && value.is_object()) {
      for (const auto& [size_key, size_value] : value.items()) {
        if (size_key == "longest_edge") {
          FOVEA_ASSIGN_OR_RETURN(options.max_pixels,
                                 positive_int(size_value, "--mm-processor-kwargs size.longest_edge", 1));
        } else {
          ignored_keys.push_back("size." + size_key);
        }
      }
    } else {
      ignored_keys.push_back(key);
    }
  }
  return base::Status();
}

}  // namespace fovea::plan
