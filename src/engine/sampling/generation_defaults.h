// GenerationDefaults and apply_generation_defaults: a request's sampling values over the server's defaults, exactly
// in vLLM's order (ChatCompletionRequest.to_sampling_params): the request's value, else the default from
// ModelConfig.get_diff_sampling_param (generation_config.json plus --override-generation-config; nothing with
// `--generation-config vllm`), else vLLM's neutral value. vLLM reads only temperature, top_p, top_k, min_p,
// repetition_penalty and max_new_tokens from generation_config.json (presence/frequency penalties only through
// overrides); do_sample is ignored, as in vLLM. Must not contain file reading or JSON.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "engine/sampling/sampling_params.h"
#include "engine/sampling/sampling_request.h"

namespace fovea::engine {

// The server-side defaults: the non-default values of the generation config (for transformers >= 5 every key the
// file sets) with the overrides applied; all unset for `--generation-config vllm`.
struct GenerationDefaults {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int32_t> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<double> presence_penalty;   // only from --override-generation-config
  std::optional<double> frequency_penalty;  // only from --override-generation-config
  std::optional<int64_t> max_tokens;        // max_new_tokens: max_tokens when the request has none
  std::optional<int64_t> max_tokens_cap;    // caps max_tokens even when the request has one: vLLM's
                                            // override_max_tokens (max_new_tokens of --override-generation-config,
                                            // or of the generation config when --generation-config is a folder)
};

// Resolves `requested` over `defaults` and checks every value with vLLM's rules (SamplingParams._verify_args); a
// bad value, whether from the request or from the generation config, is kInvalidArgument naming the field and its
// source. Also as vLLM: positive temperatures below 0.01 become 0.01, greedy requests get top_p 1, top_k off and
// min_p 0 (and need n == 1), seed -1 means none, duplicate stop ids are dropped. An unseeded request gets a random
// generator_seed. max_tokens becomes the smallest of (the request's value, else defaults.max_tokens) and
// defaults.max_tokens_cap, or stays unset. The result still needs bind_to_model (model_sampling_info.h) for EOS ids
// and the context limit.
base::Result<SamplingParams> apply_generation_defaults(const SamplingRequest& requested,
                                                       const GenerationDefaults& defaults);

// A fresh random 64-bit seed (std::random_device), for requests without one.
uint64_t draw_random_seed();

}  // namespace fovea::engine
