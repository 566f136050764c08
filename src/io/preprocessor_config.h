// Image and video preprocessor settings of a model folder (preprocessor_config.json,
// video_preprocessor_config.json, or processor_config.json's nested dicts), with the class defaults transformers
// uses when a file or key is absent (Qwen2VLImageProcessor, Qwen3VLVideoProcessor). Must not contain resizing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::io {

// HF's `size` dict for Qwen-VL processors: a pixel budget, not edge lengths (names kept from HF).
struct PixelBudget {
  int64_t shortest_edge = 0;  // min_pixels
  int64_t longest_edge = 0;   // max_pixels
};

// Settings shared by the image and video processors.
struct VisualProcessorSettings {
  std::string source_file;     // file the values came from; "" when all are class defaults
  std::string processor_type;  // image_processor_type / video_processor_type, as written
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
  bool do_convert_rgb = true;
  PixelBudget size;
  int64_t patch_size = 0;
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  std::vector<double> image_mean;
  std::vector<double> image_std;
  double rescale_factor = 1.0 / 255.0;
  int64_t resample = 3;  // PIL resampling id: 3 = bicubic
};

// Qwen2VLImageProcessor (what transformers uses for qwen3_vl images). Class defaults: patch 14, CLIP mean/std,
// size 56*56 .. 28*28*1280; Qwen3-VL checkpoints override them (patch 16, mean/std 0.5, 65536 .. 16777216).
// The legacy top-level min_pixels / max_pixels keys override `size`, as in transformers.
struct ImageProcessorConfig : VisualProcessorSettings {
  ImageProcessorConfig();
};

// Qwen3VLVideoProcessor. Class defaults: patch 16, mean/std 0.5, size 128*32*32 .. 32*32*768, fps 2, 4..768
// frames. (transformers' video processor does not read min_pixels / max_pixels keys; neither does fovea.)
struct VideoProcessorConfig : VisualProcessorSettings {
  VideoProcessorConfig();
  double fps = 2.0;
  int64_t min_frames = 4;
  int64_t max_frames = 768;
  bool do_sample_frames = true;
  std::optional<int64_t> num_frames;
  std::optional<bool> cap_pixels_per_frame;  // unset: transformers' current uncapped behaviour
  int64_t max_video_tokens = 768;
};

// Parse one JSON object's text (the whole file, or processor_config.json's nested dict); `file_label` for errors.
base::Result<ImageProcessorConfig> parse_image_processor_config(std::string_view text, std::string_view file_label);
base::Result<VideoProcessorConfig> parse_video_processor_config(std::string_view text, std::string_view file_label);

// transformers' file preference: processor_config.json's "image_processor" dict, then preprocessor_config.json;
// class defaults (source_file "") when neither exists.
base::Result<ImageProcessorConfig> load_image_processor_config(const std::string& model_dir);
// processor_config.json's "video_processor", then video_preprocessor_config.json, then preprocessor_config.json.
base::Result<VideoProcessorConfig> load_video_processor_config(const std::string& model_dir);

}  // namespace fovea::io
