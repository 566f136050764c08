// The per-row logits transforms (see logits_processing.h). Sums run in double so that the top-p boundary does not
// depend on summation order. Must not contain random draws.
#include "engine/sampling/logits_processing.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fovea::engine {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

bool in_row(std::span<const float> logits, int32_t id) { return id >= 0 && static_cast<size_t>(id) < logits.size(); }

// Descending logit, then ascending id: a total order, so every ranking is deterministic.
struct ByLogitDesc {
  std::span<const float> logits;
  bool operator()(int32_t a, int32_t b) const {
    float la = logits[static_cast<size_t>(a)];
    float lb = logits[static_cast<size_t>(b)];
    return la != lb ? la > lb : a < b;
  }
};

// Top-p over `ids` (finite, in id order), keeping id order. Ids are bucketed by logit so that only the bucket
// holding the cut is sorted: O(ids) instead of a sort of the whole vocabulary.
void top_p_filter(std::span<const float> logits, std::vector<int32_t>& ids, double top_p) {
  constexpr size_t kNumBuckets = 4096;
  float max_logit = kMasked;
  float min_logit = -kMasked;
  for (int32_t id : ids) {
    max_logit = std::max(max_logit, logits[static_cast<size_t>(id)]);
    min_logit = std::min(min_logit, logits[static_cast<size_t>(id)]);
  }
  double span = static_cast<double>(max_logit) - min_logit;
  auto bucket_of = [&](float logit) {
    if (span <= 0.0) return size_t{0};
    auto bucket = static_cast<size_t>((static_cast<double>(max_logit) - logit) / span * (kNumBuckets - 1));
    return std::min(bucket, kNumBuckets - 1);  // higher logits in lower buckets; equal logits share one
  };
  std::vector<double> bucket_mass(kNumBuckets, 0.0);
  double total = 0.0;
  for (int32_t id : ids) {
    double prob = std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - max_logit);
    bucket_mass[bucket_of(logits[static_cast<size_t>(id)])] += prob;
    total += prob;
  }
  // An id stays while the mass ranked above it is below top_p * total. Whole buckets before the cut stay.
  double limit = top_p * total;
  double above = 0.0;
  size_t cut_bucket = 0;
  while (cut_bucket + 1 < kNumBuckets && above + bucket_mass[cut_bucket] < limit) above += bucket_mass[cut_bucket++];
  std::vector<int32_t> boundary;
  for (int32_t id : ids) {
    if (bucket_of(logits[static_cast<size_t>(id)]) == cut_bucket) boundary.push_back(id);
  }
  std::sort(boundary.begin(), boundary.end(), ByLogitDesc{logits});
  std::vector<uint8_t> kept_in_boundary(boundary.size(), 0);
  size_t num_boundary_kept = 0;
  for (int32_t id : boundary) {
    if (above >= limit) break;  // never for the first id: `above` is below the limit when the walk starts
    above += std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - max_logit);
    ++num_boundary_kept;
  }
  boundary.resize(num_boundary_kept);
  std::sort(boundary.begin(), boundary.end());
  std::erase_if(ids, [&](int32_t id) {
    size_t bucket = bucket_of(logits[static_cast<size_t>(id)]);
    return bucket > cut_bucket || (bucket == cut_bucket && !std::binary_search(boundary.begin(), boundary.end(), id));
  });
}

}  // namespace

void apply_stop_mask(std::span<float> logits, std::span<const int32_t> stop_ids) {
  for (int32_t id : stop_ids) {
    if (in_row(logits, id)) logits[static_cast<size_t>(id)] = kMasked;
  }
}

void apply_logit_bias(std::span<float> logits, std::span<const std::pair<int32_t, float>> bias) {
  for (const auto& [id, value] : bias) {
    if (in_row(logits, id)) logits[static_cast<size_t>(id)] += value;
  }
}

void apply_penalties(std::span<float> logits, std::span<const int32_t> prompt_ids, std::span<const int32_t> output_ids,
                     double repetition_penalty, double frequency_penalty, double presence_penalty,
                     PenaltyScratch& scratch) {
  if (scratch.counts.size() < logits.size()) scratch.counts.assign(logits.size(), 0);
  if (scratch.seen.size() < logits.size()) scratch.seen.assign(logits.size(), 0);
  if (repetition_penalty != 1.0) {
    auto penalize = [&](int32_t id) {
      if (!in_row(logits, id) || scratch.seen[static_cast<size_t>(id)] != 0) return;
      scratch.seen[static_cast<size_t>(id)] = 1;
      float& logit = logits[static_cast<size_t>(id)];
      logit = logit > 0.0f ? static_cast<float>(logit / repetition_penalty)
                           : static_cast<float>(logit * repetition_penalty);
    };
    for (int32_t id : prompt_ids) penalize(id);
    for (int32_t id : output_ids) penalize(id);
    for (int32_t id : prompt_ids) {
      if (in_row(logits, id)) scratch.seen[static_cast<size_t>(id)] = 0;
    }
    for (int32_t id : output_ids) {
      if (in_row(logits, id)) scratch.seen[static_cast<size_t>(id)] = 0;
    }
  }
  if (frequency_penalty == 0.0 && presence_penalty == 0.0) return;
  for (int32_t id : output_ids) {
    if (in_row(logits, id)) ++scratch.counts[static_cast<size_t>(id)];
  }
  for (int32_t id : output_ids) {
    if (!in_row(logits, id)) continue;
    int32_t& count = scratch.counts[static_cast<size_t>(id)];
    if (count == 0) continue;  // this id was already penalized
    float& logit = logits[static_cast<size_t>(id)];
    logit = static_cast<float>(logit - frequency_penalty * count - presence_penalty);
    count = 0;
  }
}

void apply_temperature(std::span<float> logits, double temperature) {
  if (temperature == 1.0) return;
  // Division in f32, not multiplication by the inverse, to match torch's logits / temperature bit for bit.
  auto t = static_cast<float>(temperature);
  for (float& logit : logits) logit /= t;
}

void apply_min_p(std::span<float> logits, double min_p) {
  if (min_p <= 0.0 || logits.empty()) return;
  float max_logit = *std::max_element(logits.begin(), logits.end());
  if (!std::isfinite(max_logit)) return;
  // prob_i / prob_max = exp(logit_i - max_logit), compared with min_p without normalizing.
  for (float& logit : logits) {
    if (std::exp(static_cast<double>(logit) - max_logit) < min_p) logit = kMasked;
  }
}

std::vector<int32_t> apply_top_k_top_p(std::span<float> logits, int32_t top_k, double top_p) {
  std::vector<int32_t> ids;
  ids.reserve(logits.size());
  for (size_t idx = 0; idx < logits.size(); ++idx) {
    if (logits[idx] == kMasked || std::isnan(logits[idx])) continue;
    ids.push_back(static_cast<int32_t>(idx));
  }
  bool use_top_k = top_k > 0 && static_cast<size_t>(top_k) < ids.size();
  bool use_top_p = top_p < 1.0;
  if (!use_top_k && !use_top_p) return ids;

  if (use_top_k) {
    // The k-th largest value; every id at or above it stays (ties included).
    std::vector<float> values;
    values.reserve(ids.size());
    for (int32_t id : ids) values.push_back(logits[static_cast<size_t>(id)]);
    auto kth = values.begin() + (top_k - 1);
    std::nth_element(values.begin(), kth, values.end(), std::greater<float>());
    float threshold = *kth;
    std::erase_if(ids, [&](int32_t id) { return logits[static_cast<size_t>(id)] < threshold; });
  }
  if (use_top_p) top_p_filter(std::span<const float>(logits.data(), logits.size()), ids, top_p);

  std::vector<uint8_t> keep(logits.size(), 0);
  for (int32_t id : ids) keep[static_cast<size_t>(id)] = 1;
  for (size_t idx = 0; idx < logits.size(); ++idx) {
    if (keep[idx] == 0) logits[idx] = kMasked;
  }
  return ids;
}

}  // namespace fovea::engine
