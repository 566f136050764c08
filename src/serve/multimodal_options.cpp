// Parsing of --limit-mm-per-prompt values and mm_processor_kwargs objects, shared by the config and requests.
// Must not contain image processing.
#include "serve/multimodal_options.h"

#include <fmt/format.h>

#include <limits>

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

std::optional<FieldError> read_count(const nlohmann::json& value, const std::string& param, int32_t& out) {
  const std::optional<int64_t> count = json_to_int64(value);
  if (!count || *count < 0 || *count > std::numeric_limits<int32_t>::max()) {
    return FieldError{param, fmt::format("must be a count of items (an integer >= 0), not {}", json_type_name(value))};
  }
  out = static_cast<int32_t>(*count);
  return std::nullopt;
}

// One modality's entry: a count, or {"count": n, <size hints>} as in vLLM's configurable form.
std::optional<FieldError> read_modality(const std::string& modality, const nlohmann::json& value, int32_t& out,
                                        std::vector<std::string>& notes) {
  if (!value.is_object()) return read_count(value, modality, out);
  if (!value.contains("count")) {
    return FieldError{modality, "an object form needs a \"count\", as in {\"count\": 3}"};
  }
  for (const auto& [key, hint] : value.items()) {
    if (key == "count") {
      if (auto error = read_count(hint, modality + ".count", out)) return error;
    } else if (key == "width" || key == "height" || key == "num_frames" || key == "length") {
      notes.push_back(
          fmt::format("limit-mm-per-prompt: {}.{} is a vLLM profiling hint and has no effect in fovea", modality, key));
    } else {
      return FieldError{modality + "." + key, "is not a known key; use count (and optionally width, height)"};
    }
  }
  return std::nullopt;
}

std::optional<FieldError> read_pixels(const nlohmann::json& value, const std::string& param, int64_t max_image_pixels,
                                      std::optional<int64_t>& out) {
  if (value.is_null()) return std::nullopt;
  const std::optional<int64_t> pixels = json_to_int64(value);
  if (!pixels || *pixels < 1 || *pixels > max_image_pixels) {
    return FieldError{param, fmt::format("must be an integer number of pixels from 1 to {}", max_image_pixels)};
  }
  out = *pixels;
  return std::nullopt;
}

}  // namespace

std::optional<FieldError> parse_mm_limits(const nlohmann::json& value, MmLimits& out, std::vector<std::string>& notes) {
  if (!value.is_object()) {
    return FieldError{
        "", fmt::format("must be a JSON object such as {{\"image\": 3, \"video\": 0}}, not {}", json_type_name(value))};
  }
  for (const auto& [modality, entry] : value.items()) {
    int32_t* target = nullptr;
    if (modality == "image") {
      target = &out.num_images;
    } else if (modality == "video") {
      target = &out.num_videos;
    } else if (modality == "audio") {
      target = &out.num_audios;
    } else {
      return FieldError{modality, "is not a modality; use image, video or audio"};
    }
    if (auto error = read_modality(modality, entry, *target, notes)) return error;
  }
  return std::nullopt;
}

std::optional<FieldError> parse_mm_processor_kwargs(const nlohmann::json& value, int64_t max_image_pixels,
                                                    MmProcessorKwargs& out, std::vector<std::string>* unknown_keys) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_object()) {
    return FieldError{
        "", fmt::format("must be a JSON object such as {{\"max_pixels\": 1003520}}, not {}", json_type_name(value))};
  }
  MmProcessorKwargs parsed = out;
  for (const auto& [key, entry] : value.items()) {
    if (key == "min_pixels") {
      if (auto error = read_pixels(entry, key, max_image_pixels, parsed.min_pixels)) return error;
    } else if (key == "max_pixels") {
      if (auto error = read_pixels(entry, key, max_image_pixels, parsed.max_pixels)) return error;
    } else if (key == "size") {
      if (entry.is_null()) continue;
      if (!entry.is_object()) return FieldError{"size", "must be an object with shortest_edge and/or longest_edge"};
      for (const auto& [size_key, size_entry] : entry.items()) {
        if (size_key == "shortest_edge") {
          if (auto error = read_pixels(size_entry, "size.shortest_edge", max_image_pixels, parsed.min_pixels)) {
            return error;
          }
        } else if (size_key == "longest_edge") {
          if (auto error = read_pixels(size_entry, "size.longest_edge", max_image_pixels, parsed.max_pixels)) {
            return error;
          }
        } else {
          return FieldError{"size." + size_key, "is not a known key; use shortest_edge or longest_edge (pixels)"};
        }
      }
    } else if (unknown_keys != nullptr) {
      unknown_keys->push_back(key);
    } else {
      return FieldError{key, "is not a supported processor option; use min_pixels, max_pixels or size"};
    }
  }
  if (parsed.min_pixels && parsed.max_pixels && *parsed.min_pixels > *parsed.max_pixels) {
    return FieldError{"min_pixels",
                      fmt::format("({}) must not exceed max_pixels ({})", *parsed.min_pixels, *parsed.max_pixels)};
  }
  out = parsed;
  return std::nullopt;
}

nlohmann::ordered_json mm_limits_to_json(const MmLimits& limits) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["image"] = limits.num_images;
  out["video"] = limits.num_videos;
  out["audio"] = limits.num_audios;
  return out;
}

nlohmann::ordered_json mm_processor_kwargs_to_json(const MmProcessorKwargs& kwargs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (kwargs.min_pixels) out["min_pixels"] = *kwargs.min_pixels;
  if (kwargs.max_pixels) out["max_pixels"] = *kwargs.max_pixels;
  return out;
}

}  // namespace fovea::serve
