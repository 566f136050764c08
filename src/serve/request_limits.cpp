// ServeConfig -> RequestLimits.
// Must not contain validation.
#include "serve/request_limits.h"

namespace fovea::serve {

RequestLimits request_limits_from_config(const ServeConfig& config) {
  RequestLimits limits;
  limits.max_model_len_tokens = config.max_model_len_tokens.value_or(0);
  limits.max_logprobs = config.max_logprobs;
  limits.mm_limits = config.limit_mm_per_prompt;
  if (config.mm_processor_kwargs.max_pixels) limits.max_image_pixels = *config.mm_processor_kwargs.max_pixels;
  limits.allow_local_media = !config.allowed_local_media_path.empty();
  limits.enable_auto_tool_choice =
      config.enable_auto_tool_choice && config.tool_call_parser != ToolCallParserKind::kNone;
  return limits;
}

}  // namespace fovea::serve
