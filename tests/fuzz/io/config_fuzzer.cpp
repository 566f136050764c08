// Fuzz target: the model-folder JSON parsers (config.json with its quantization_config, generation config,
// image/video preprocessor configs) and the parameter census computed from an accepted config.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/generation_config.h"
#include "io/model_config.h"
#include "io/parameter_census.h"
#include "io/preprocessor_config.h"
#include "io/quantization_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = fovea::io::parse_model_config(text, "fuzz/config.json");
  if (config.ok()) {
    fovea::io::ParameterCensus census = fovea::io::census_from_config(*config);
    (void)census.total_params();
    if (config->quantization_config) (void)config->quantization_config->describe();
  }
  (void)fovea::io::parse_generation_config(text, "fuzz/generation_config.json");
  (void)fovea::io::parse_image_processor_config(text, "fuzz/preprocessor_config.json");
  (void)fovea::io::parse_video_processor_config(text, "fuzz/video_preprocessor_config.json");
  auto quantization = fovea::io::parse_quantization_config(text, "fuzz/config.json");
  if (quantization.ok()) (void)quantization->describe();
  return 0;
}
