// Reading what a memory plan needs from a model on disk: config.json, the safetensors headers when present (exact
// bytes per component) and the image processor's pixel ceiling, into PlanInputs. Used by `fovea plan` and
// `fovea check` (and the server) so that all read a model the same way. Must not contain planning arithmetic.
#pragma once

#include <string>

#include "base/status.h"
#include "plan/memory_plan.h"

namespace fovea::plan {

// A Hugging Face model folder: config.json, the safetensors headers if the folder has weights, and
// preprocessor_config.json (or processor_config.json) for a vision model. Sets inputs.config,
// checkpoint_census, preprocessor_max_pixels and preprocessor_source.
base::Status read_model_folder(const std::string& model_dir, PlanInputs& inputs);

// A config.json alone (--model-config); a preprocessor_config.json beside it is read too.
base::Status read_model_config_file(const std::string& config_path, PlanInputs& inputs);

}  // namespace fovea::plan
