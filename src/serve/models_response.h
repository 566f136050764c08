// GET /v1/models and GET /version answers, and the check of a request's "model" against the served names.
// The model card never carries the model folder's path (vLLM puts it in "root"; fovea puts the served name).
// Must not contain routing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"

namespace fovea::serve {

// {"object": "list", "data": [{"id", "object": "model", "created", "owned_by": "fovea", "root", "parent": null,
// "max_model_len", "permission": []}, ...]}: one card per served name.
nlohmann::ordered_json build_models_response(const std::vector<std::string>& served_model_names, int64_t created,
                                             int64_t max_model_len_tokens);

// {"version": "..."} as vLLM's /version.
nlohmann::ordered_json build_version_response(std::string_view version);

// An empty requested name means the default model (vLLM's behaviour); otherwise it must be one of the served names.
MaybeApiError check_requested_model(std::string_view requested_model,
                                    const std::vector<std::string>& served_model_names);

}  // namespace fovea::serve
