// /v1/models and /version JSON; requested-model check.
// Must not contain routing.
#include "serve/models_response.h"

#include <algorithm>

namespace fovea::serve {

nlohmann::ordered_json build_models_response(const std::vector<std::string>& served_model_names, int64_t created,
                                             int64_t max_model_len_tokens) {
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const std::string& name : served_model_names) {
    nlohmann::ordered_json card = nlohmann::ordered_json::object();
    card["id"] = name;
    card["object"] = "model";
    card["created"] = created;
    card["owned_by"] = "fovea";
    card["root"] = served_model_names.front();
    card["parent"] = nullptr;
    card["max_model_len"] = max_model_len_tokens;
    card["permission"] = nlohmann::ordered_json::array();
    data.push_back(std::move(card));
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["object"] = "list";
  out["data"] = std::move(data);
  return out;
}

nlohmann::ordered_json build_version_response(std::string_view version) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["version"] = version;
  return out;
}

MaybeApiError check_requested_model(std::string_view requested_model,
                                    const std::vector<std::string>& served_model_names) {
  if (requested_model.empty()) return std::nullopt;
  if (std::find(served_model_names.begin(), served_model_names.end(), requested_model) != served_model_names.end()) {
    return std::nullopt;
  }
  return model_not_found(requested_model);
}

}  // namespace fovea::serve
