// Request values over generation defaults, then vLLM's SamplingParams.__post_init__ and _verify_args.
// Must not contain anything that depends on the model (model_sampling_info.cpp).
#include "engine/sampling/generation_defaults.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string_view>

namespace fovea::engine {
namespace {

// Where a resolved value came from, for error messages.
enum class Source { kRequest, kDefaults, kNeutral };

template <typename T>
struct Resolved {
  T value;
  Source source;
};

template <typename T>
Resolved<T> resolve(const std::optional<T>& requested, const std::optional<T>& by_default, T neutral) {
  if (requested.has_value()) return {*requested, Source::kRequest};
  if (by_default.has_value()) return {*by_default, Source::kDefaults};
  return {neutral, Source::kNeutral};
}

std::string_view source_phrase(Source source) {
  switch (source) {
    case Source::kRequest:
      return "in the request";
    case Source::kDefaults:
      return "from the server's generation defaults (generation_config.json or --override-generation-config)";
    case Source::kNeutral:
      return "by default";
  }
  return "";
}

base::Status out_of_range_value(std::string_view field, double value, Source source, std::string_view range) {
  return base::invalid_argument("`{}` is {} {}, but it must be {}.", field, value, source_phrase(source), range);
}

base::Status check_range(std::string_view field, const Resolved<double>& v, double lo, double hi, bool lo_open,
                         std::string_view range) {
  bool ok = std::isfinite(v.value) && (lo_open ? v.value > lo : v.value >= lo) && v.value <= hi;
  return ok ? base::Status::ok_status() : out_of_range_value(field, v.value, v.source, range);
}

}  // namespace

uint64_t draw_random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ static_cast<uint64_t>(device());
}

base::Result<SamplingParams> apply_generation_defaults(const SamplingRequest& requested,
                                                       const GenerationDefaults& defaults) {
  SamplingParams params;

  Resolved<double> temperature = resolve(requested.temperature, defaults.temperature, 1.0);
  Resolved<double> top_p = resolve(requested.top_p, defaults.top_p, 1.0);
  Resolved<int32_t> top_k = resolve(requested.top_k, defaults.top_k, int32_t{0});
  Resolved<double> min_p = resolve(requested.min_p, defaults.min_p, 0.0);
  Resolved<double> presence = resolve(requested.presence_penalty, defaults.presence_penalty, 0.0);
  Resolved<double> frequency = resolve(requested.frequency_penalty, defaults.frequency_penalty, 0.0);
  Resolved<double> repetition = resolve(requested.repetition_penalty, defaults.repetition_penalty, 1.0);

  FOVEA_RETURN_IF_ERROR(check_range("temperature", temperature, 0.0, 2.0, false, "in [0, 2]"));
  FOVEA_RETURN_IF_ERROR(check_range("top_p", top_p, 0.0, 1.0, true, "in (0, 1]"));
  FOVEA_RETURN_IF_ERROR(check_range("min_p", min_p, 0.0, 1.0, false, "in [0, 1]"));
  FOVEA_RETURN_IF_ERROR(check_range("presence_penalty", presence, -2.0, 2.0, false, "in [-2, 2]"));
  FOVEA_RETURN_IF_ERROR(check_range("frequency_penalty", frequency, -2.0, 2.0, false, "in [-2, 2]"));
  FOVEA_RETURN_IF_ERROR(check_range("repetition_penalty", repetition, 0.0, std::numeric_limits<double>::max(), true,
                                    "a finite number greater than 0"));
  if (top_k.value < -1) {
    return base::invalid_argument("`top_k` is {} {}, but it must be 0 or -1 (off) or at least 1.", top_k.value,
                                  source_phrase(top_k.source));
  }

  params.temperature = temperature.value;
  if (params.temperature > 0.0 && params.temperature < kMinRandomTemperature) {
    params.temperature = kMinRandomTemperature;
  }
  params.top_p = top_p.value;
  params.top_k = top_k.value <= 0 ? kTopKOff : top_k.value;
  params.min_p = min_p.value;
  params.presence_penalty = presence.value;
  params.frequency_penalty = frequency.value;
  params.repetition_penalty = repetition.value;

  if (requested.n < 1) return base::invalid_argument("`n` is {}, but it must be at least 1.", requested.n);
  params.n = requested.n;
  if (params.is_greedy()) {
    params.top_p = 1.0;
    params.top_k = kTopKOff;
    params.min_p = 0.0;
    if (params.n > 1) {
      return base::invalid_argument(
          "`n` is {}, but greedy sampling (temperature 0) gives every choice the same text; use n = 1 or a "
          "temperature above 0.",
          params.n);
    }
  }

  if (requested.seed.has_value() && *requested.seed != -1) params.seed = requested.seed;
  params.generator_seed = params.seed.has_value() ? static_cast<uint64_t>(*params.seed) : draw_random_seed();

  std::optional<int64_t> max_tokens = requested.max_tokens.has_value() ? requested.max_tokens : defaults.max_tokens;
  if (max_tokens.has_value() && *max_tokens < 1) {
    return base::invalid_argument(
        "`max_tokens` is {} {}, but it must be at least 1.", *max_tokens,
        source_phrase(requested.max_tokens.has_value() ? Source::kRequest : Source::kDefaults));
  }
  if (defaults.max_tokens_cap.has_value()) {
    if (*defaults.max_tokens_cap < 1) {
      return base::invalid_argument(
          "`max_new_tokens` of the server's generation overrides is {}, but it must be "
          "at least 1; fix --override-generation-config.",
          *defaults.max_tokens_cap);
    }
    max_tokens = max_tokens.has_value() ? std::min(*max_tokens, *defaults.max_tokens_cap) : defaults.max_tokens_cap;
  }
  params.max_tokens = max_tokens;
  params.max_tokens_requested = requested.max_tokens.has_value();

  if (requested.min_tokens < 0) {
    return base::invalid_argument("`min_tokens` is {}, but it must be at least 0.", requested.min_tokens);
  }
  if (params.max_tokens.has_value() && requested.min_tokens > *params.max_tokens) {
    return base::invalid_argument("`min_tokens` is {}, but it must not exceed max_tokens ({}).", requested.min_tokens,
                                  *params.max_tokens);
  }
  params.min_tokens = requested.min_tokens;

  for (const std::string& stop : requested.stop) {
    if (stop.empty()) return base::invalid_argument("`stop` contains an empty string; remove it.");
    if (std::find(params.stop.begin(), params.stop.end(), stop) == params.stop.end()) params.stop.push_back(stop);
  }
  for (int64_t id : requested.stop_token_ids) {
    if (id < std::numeric_limits<int32_t>::min() || id > std::numeric_limits<int32_t>::max()) continue;
    auto id32 = static_cast<int32_t>(id);
    if (std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), id32) == params.stop_token_ids.end()) {
      params.stop_token_ids.push_back(id32);
    }
  }
  params.all_stop_token_ids = params.stop_token_ids;
  params.ignore_eos = requested.ignore_eos;
  params.include_stop_str_in_output = requested.include_stop_str_in_output;
  params.skip_special_tokens = requested.skip_special_tokens.value_or(true);

  if (requested.logprobs.has_value()) {
    if (*requested.logprobs < 0 || *requested.logprobs > kMaxTopLogprobs) {
      return base::invalid_argument("`logprobs` is {}, but it must be in [0, {}].", *requested.logprobs,
                                    kMaxTopLogprobs);
    }
    params.logprobs = requested.logprobs;
  }

  for (const auto& [id, bias] : requested.logit_bias) {
    if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return base::invalid_argument("`logit_bias` has token id {}, which is not a vocabulary id.", id);
    }
    if (!std::isfinite(bias)) {
      return base::invalid_argument("`logit_bias` for token {} is not a finite number.", id);
    }
    float clamped =
        static_cast<float>(std::clamp(bias, -static_cast<double>(kMaxLogitBias), static_cast<double>(kMaxLogitBias)));
    params.logit_bias.emplace_back(static_cast<int32_t>(id), clamped);
  }
  // Later entries win for a repeated id, as in a Python dict.
  std::stable_sort(params.logit_bias.begin(), params.logit_bias.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<int32_t, float>> unique_bias;
  for (const auto& entry : params.logit_bias) {
    if (!unique_bias.empty() && unique_bias.back().first == entry.first) {
      unique_bias.back() = entry;
    } else {
      unique_bias.push_back(entry);
    }
  }
  params.logit_bias = std::move(unique_bias);
  return params;
}

}  // namespace fovea::engine
