// Multimodal options shared by the server config and by requests: --limit-mm-per-prompt (items per prompt and
// modality) and mm_processor_kwargs (the image pixel budget). Parsed from JSON with errors that name the field.
// Must not contain image processing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fovea::serve {

// Qwen3-VL's preprocessor default for the largest image (size.longest_edge): the default pixel ceiling.
inline constexpr int64_t kDefaultMaxImagePixels = 16777216;

// Items allowed in one prompt, per modality (vLLM's default is 999 for each). fovea decodes images only: a video or
// audio limit is accepted so vLLM profiles keep working, and such inputs are refused per request.
struct MmLimits {
  int32_t num_images = 999;
  int32_t num_videos = 999;
  int32_t num_audios = 999;
};

// Pixel budget overrides for the image processor (Qwen's min_pixels / max_pixels, also spelled
// size.shortest_edge / size.longest_edge as in preprocessor_config.json). Unset fields keep the model's values.
struct MmProcessorKwargs {
  std::optional<int64_t> min_pixels;
  std::optional<int64_t> max_pixels;
};

// A field-level problem: `param` is the path inside the parsed value ("image", "size.longest_edge").
struct FieldError {
  std::string param;
  std::string message;
};

// Parses {"image": 3, "video": 0} (also {"image": {"count": 3, "width": .., "height": ..}}). Unknown modalities are
// errors; size hints other than count are accepted and ignored (each adds a line to `notes`).
std::optional<FieldError> parse_mm_limits(const nlohmann::json& value, MmLimits& out, std::vector<std::string>& notes);

// Parses mm_processor_kwargs. Values must be integers in [1, max_image_pixels] with min_pixels <= max_pixels.
// Keys other than min_pixels, max_pixels and size are errors unless `unknown_keys` is given, which collects them.
std::optional<FieldError> parse_mm_processor_kwargs(const nlohmann::json& value, int64_t max_image_pixels,
                                                    MmProcessorKwargs& out, std::vector<std::string>* unknown_keys);

nlohmann::ordered_json mm_limits_to_json(const MmLimits& limits);
nlohmann::ordered_json mm_processor_kwargs_to_json(const MmProcessorKwargs& kwargs);

}  // namespace fovea::serve
