// Image/video preprocessor config files: transformers' file preference and class defaults.
#include "io/preprocessor_config.h"

#include "base/file_util.h"
#include "io/json_reader.h"

namespace fovea::io {
namespace {

using nlohmann::json;

constexpr std::string_view kProcessorConfigFile = "processor_config.json";
constexpr std::string_view kImageProcessorFile = "preprocessor_config.json";
constexpr std::string_view kVideoProcessorFile = "video_preprocessor_config.json";

void read_settings(const JsonReader& reader, const json& object, VisualProcessorSettings& settings) {
  reader.read(object, "do_resize", settings.do_resize);
  reader.read(object, "do_rescale", settings.do_rescale);
  reader.read(object, "do_normalize", settings.do_normalize);
  reader.read(object, "do_convert_rgb", settings.do_convert_rgb);
  if (reader.has(object, "size")) {
    const json& size = object.at("size");
    if (!size.is_object()) {
      reader.fail("size", "must be an object {\"shortest_edge\": min_pixels, \"longest_edge\": max_pixels} but is " +
                              json_type_phrase(size));
      return;
    }
    JsonReader size_reader = reader.child("size");
    size_reader.read(size, "shortest_edge", settings.size.shortest_edge);
    size_reader.read(size, "longest_edge", settings.size.longest_edge);
  }
  reader.read(object, "patch_size", settings.patch_size);
  reader.read(object, "temporal_patch_size", settings.temporal_patch_size);
  reader.read(object, "merge_size", settings.merge_size);
  reader.read(object, "image_mean", settings.image_mean);
  reader.read(object, "image_std", settings.image_std);
  reader.read(object, "rescale_factor", settings.rescale_factor);
  reader.read(object, "resample", settings.resample);
}

void check_settings(const JsonReader& reader, const VisualProcessorSettings& settings) {
  if (settings.size.shortest_edge <= 0 || settings.size.longest_edge < settings.size.shortest_edge) {
    reader.fail("size", fmt::format("must have 0 < shortest_edge <= longest_edge (min/max pixels) but has {} and {}",
                                    settings.size.shortest_edge, settings.size.longest_edge));
  }
  if (settings.patch_size <= 0) reader.fail("patch_size", "must be positive");
  if (settings.temporal_patch_size <= 0) reader.fail("temporal_patch_size", "must be positive");
  if (settings.merge_size <= 0) reader.fail("merge_size", "must be positive");
  if (settings.image_mean.size() != 3) reader.fail("image_mean", "must hold three numbers (R, G, B)");
  if (settings.image_std.size() != 3) reader.fail("image_std", "must hold three numbers (R, G, B)");
  for (double std_value : settings.image_std) {
    if (!(std_value > 0)) reader.fail("image_std", "must hold positive numbers");
  }
}

base::Result<json> parse_object(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_json(text, file_label, /*reject_duplicate_keys=*/false));
  if (!object.is_object()) {
    return base::invalid_argument("{} must be a JSON object but is {}", file_label, json_type_phrase(object));
  }
  return object;
}

// processor_config.json's nested dict `key` as JSON text, if the file has one.
base::Result<std::optional<std::string>> nested_processor_dict(const std::string& model_dir, std::string_view key) {
  if (!base::file_exists(model_dir + "/" + std::string(kProcessorConfigFile))) return std::optional<std::string>();
  FOVEA_ASSIGN_OR_RETURN(json object, read_json_file(model_dir, kProcessorConfigFile));
  if (!object.is_object()) return std::optional<std::string>();
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return std::optional<std::string>();
  return std::optional<std::string>(it->dump(-1, ' ', false, json::error_handler_t::replace));
}

template <typename Config, typename Parse>
base::Result<Config> load_first(const std::string& model_dir, std::string_view nested_key,
                                std::initializer_list<std::string_view> file_names, Parse parse) {
  FOVEA_ASSIGN_OR_RETURN(std::optional<std::string> nested, nested_processor_dict(model_dir, nested_key));
  if (nested) {
    std::string label = fmt::format("{}/{}: {}", model_dir, kProcessorConfigFile, nested_key);
    FOVEA_ASSIGN_OR_RETURN(Config config, parse(*nested, label));
    config.source_file = std::string(kProcessorConfigFile);
    return config;
  }
  for (std::string_view file_name : file_names) {
    std::string path = model_dir + "/" + std::string(file_name);
    if (!base::file_exists(path)) continue;
    FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(path, uint64_t{16} << 20));
    FOVEA_ASSIGN_OR_RETURN(Config config, parse(text, path));
    config.source_file = std::string(file_name);
    return config;
  }
  return Config();
}

}  // namespace

ImageProcessorConfig::ImageProcessorConfig() {
  size = {56 * 56, 28 * 28 * 1280};
  patch_size = 14;
  image_mean = {0.48145466, 0.4578275, 0.40821073};  // OPENAI_CLIP_MEAN
  image_std = {0.26862954, 0.26130258, 0.27577711};  // OPENAI_CLIP_STD
}

VideoProcessorConfig::VideoProcessorConfig() {
  size = {128 * 32 * 32, 32 * 32 * 768};
  patch_size = 16;
  image_mean = {0.5, 0.5, 0.5};  // IMAGENET_STANDARD_MEAN
  image_std = {0.5, 0.5, 0.5};
}

base::Result<ImageProcessorConfig> parse_image_processor_config(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_object(text, file_label));
  base::Status status;
  JsonReader reader(std::string(file_label), &status);
  ImageProcessorConfig config;
  reader.read(object, "image_processor_type", config.processor_type);
  read_settings(reader, object, config);
  reader.read(object, "min_pixels", config.size.shortest_edge);
  reader.read(object, "max_pixels", config.size.longest_edge);
  check_settings(reader, config);
  FOVEA_RETURN_IF_ERROR(status);
  return config;
}

base::Result<VideoProcessorConfig> parse_video_processor_config(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(json object, parse_object(text, file_label));
  base::Status status;
  JsonReader reader(std::string(file_label), &status);
  VideoProcessorConfig config;
  reader.read(object, "video_processor_type", config.processor_type);
  read_settings(reader, object, config);
  reader.read(object, "fps", config.fps);
  reader.read(object, "min_frames", config.min_frames);
  reader.read(object, "max_frames", config.max_frames);
  reader.read(object, "do_sample_frames", config.do_sample_frames);
  reader.read(object, "num_frames", config.num_frames);
  reader.read(object, "cap_pixels_per_frame", config.cap_pixels_per_frame);
  reader.read(object, "max_video_tokens", config.max_video_tokens);
  check_settings(reader, config);
  if (!(config.fps > 0)) reader.fail("fps", "must be positive");
  if (config.min_frames <= 0 || config.max_frames < config.min_frames) {
    reader.fail("max_frames",
                fmt::format("must be at least min_frames ({}), which must be positive", config.min_frames));
  }
  FOVEA_RETURN_IF_ERROR(status);
  return config;
}

base::Result<ImageProcessorConfig> load_image_processor_config(const std::string& model_dir) {
  return load_first<ImageProcessorConfig>(model_dir, "image_processor", {kImageProcessorFile},
                                          parse_image_processor_config);
}

base::Result<VideoProcessorConfig> load_video_processor_config(const std::string& model_dir) {
  return load_first<VideoProcessorConfig>(model_dir, "video_processor", {kVideoProcessorFile, kImageProcessorFile},
                                          parse_video_processor_config);
}

}  // namespace fovea::io
