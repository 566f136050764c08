// Model files -> PlanInputs: config.json through io's parser, the safetensors census, the preprocessor's ceiling.
#include "plan/model_inputs.h"

#include <sys/stat.h>

#include <cstdint>

#include "base/file_util.h"
#include "io/model_config.h"
#include "io/parameter_census.h"
#include "io/preprocessor_config.h"
#include "io/weight_table.h"

namespace fovea::plan {
namespace {

// config.json files are a few KiB; a cap keeps a wrong path (a weight file) from being read whole.
constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string parent_folder(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

// The image ceiling of a vision model's folder, when the folder has a processor file.
base::Status read_preprocessor(const std::string& folder, PlanInputs& inputs) {
  if (!inputs.config.has_vision()) return base::Status();
  const bool has_file =
      base::file_exists(folder + "/preprocessor_config.json") || base::file_exists(folder + "/processor_config.json");
  if (!has_file) return base::Status();
  FOVEA_ASSIGN_OR_RETURN(io::ImageProcessorConfig image, io::load_image_processor_config(folder));
  inputs.preprocessor_max_pixels = image.size.longest_edge;
  inputs.preprocessor_source = image.source_file;
  return base::Status();
}

}  // namespace

base::Status read_model_folder(const std::string& model_dir, PlanInputs& inputs) {
  if (!is_directory(model_dir)) {
    return base::not_found("{} is not a folder; pass a model folder, or a config.json with --model-config", model_dir);
  }
  FOVEA_ASSIGN_OR_RETURN(inputs.config, io::read_model_config(model_dir));
  if (io::WeightTable::has_weights(model_dir)) {
    FOVEA_ASSIGN_OR_RETURN(io::WeightTable weights, io::WeightTable::open(model_dir));
    inputs.checkpoint_census = io::census_from_weights(weights, inputs.config);
  }
  return read_preprocessor(model_dir, inputs);
}

base::Status read_model_config_file(const std::string& config_path, PlanInputs& inputs) {
  FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(config_path, kMaxConfigBytes));
  FOVEA_ASSIGN_OR_RETURN(inputs.config, io::parse_model_config(text, config_path));
  return read_preprocessor(parent_folder(config_path), inputs);
}

}  // namespace fovea::plan
