// RequestLimits: the server-side bounds and switches that request validation needs (context length, logprobs,
// images per prompt, tool choice), taken from ServeConfig so validation does not depend on the whole config.
// Must not contain validation itself.
#pragma once

#include <cstdint>

#include "serve/multimodal_options.h"
#include "serve/serve_config.h"

namespace fovea::serve {

struct RequestLimits {
  int64_t max_model_len_tokens = 0;  // 0: not known here (the engine checks prompt + output later)
  int32_t max_logprobs = 20;         // --max-logprobs
  int32_t max_n = 16;                // choices per request
  int32_t max_stop_strings = 16;
  int32_t max_stop_string_bytes = 1024;
  int32_t max_stop_token_ids = 256;
  int32_t max_logit_bias_entries = 300;
  int32_t max_prompts_per_request = 1;  // /v1/completions batches of prompts
  MmLimits mm_limits;                   // --limit-mm-per-prompt
  int64_t max_image_pixels = kDefaultMaxImagePixels;
  bool allow_local_media = false;         // --allowed-local-media-path is set: file:// image URLs may pass
  bool enable_auto_tool_choice = false;   // --enable-auto-tool-choice with a --tool-call-parser
  bool allow_forced_tool_choice = false;  // "required" / named tool_choice need constrained decoding
};

RequestLimits request_limits_from_config(const ServeConfig& config);

}  // namespace fovea::serve
