// The stop-id queries of SamplingParams. Must not contain parameter resolution (generation_defaults.cpp).
#include "engine/sampling/sampling_params.h"

#include <algorithm>

namespace fovea::engine {

std::vector<int32_t> SamplingParams::finishing_token_ids() const {
  std::vector<int32_t> ids;
  ids.reserve(stop_token_ids.size() + 1);
  if (eos_token_id.has_value()) ids.push_back(*eos_token_id);
  for (int32_t id : stop_token_ids) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

std::optional<int32_t> SamplingParams::stop_reason_for_token(int32_t token_id) const {
  if (eos_token_id.has_value() && token_id == *eos_token_id) return std::nullopt;
  return token_id;
}

}  // namespace fovea::engine
