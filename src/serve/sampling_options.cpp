// Sampling-field parsing and validation with vLLM's ranges; refusal of unimplemented features.
// Must not contain message or prompt parsing.
#include "serve/sampling_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "serve/json_value.h"
#include "serve/request_fields.h"

namespace fovea::serve {
namespace {

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

MaybeApiError read_stop(const nlohmann::json& body, const RequestLimits& limits, std::vector<std::string>& out) {
  const nlohmann::json* stop = find_field(body, "stop");
  if (stop == nullptr) return std::nullopt;
  std::vector<const nlohmann::json*> items;
  if (stop->is_string()) {
    items.push_back(stop);
  } else if (stop->is_array()) {
    for (const nlohmann::json& item : *stop) items.push_back(&item);
  } else {
    return wrong_type("stop", "a string or an array of strings", *stop);
  }
  if (static_cast<int64_t>(items.size()) > limits.max_stop_strings) {
    return bad_request(
        fmt::format("`stop` may hold at most {} strings; got {}.", limits.max_stop_strings, items.size()), "stop");
  }
  for (size_t idx = 0; idx < items.size(); ++idx) {
    const std::string param = stop->is_array() ? index_param("stop", idx) : "stop";
    if (!items[idx]->is_string()) return wrong_type(param, "a string", *items[idx]);
    std::string text = items[idx]->get<std::string>();
    if (text.empty()) return bad_request("`stop` cannot contain an empty string.", param);
    if (static_cast<int64_t>(text.size()) > limits.max_stop_string_bytes) {
      return bad_request(fmt::format("`{}` is longer than {} bytes.", param, limits.max_stop_string_bytes), param);
    }
    out.push_back(std::move(text));
  }
  return std::nullopt;
}

MaybeApiError read_token_id_list(const nlohmann::json& body, std::string_view key, int32_t max_items,
                                 std::vector<int64_t>& out) {
  const nlohmann::json* list = find_field(body, key);
  if (list == nullptr) return std::nullopt;
  const std::string param(key);
  if (!list->is_array()) return wrong_type(param, "an array of token ids", *list);
  if (static_cast<int64_t>(list->size()) > max_items) {
    return bad_request(fmt::format("`{}` may hold at most {} token ids.", param, max_items), param);
  }
  for (size_t idx = 0; idx < list->size(); ++idx) {
    const std::optional<int64_t> token_id = json_to_int64((*list)[idx]);
    if ((*list)[idx].is_boolean() || !token_id || *token_id < 0) {
      return bad_request(fmt::format("`{}` must hold token ids (integers >= 0).", index_param(param, idx)),
                         index_param(param, idx));
    }
    out.push_back(*token_id);
  }
  return std::nullopt;
}

MaybeApiError read_logit_bias(const nlohmann::json& body, const RequestLimits& limits,
                              std::vector<std::pair<int64_t, double>>& out) {
  const nlohmann::json* bias = find_field(body, "logit_bias");
  if (bias == nullptr) return std::nullopt;
  if (!bias->is_object()) return wrong_type("logit_bias", "an object mapping token ids to biases", *bias);
  if (static_cast<int64_t>(bias->size()) > limits.max_logit_bias_entries) {
    return bad_request(fmt::format("`logit_bias` may hold at most {} entries.", limits.max_logit_bias_entries),
                       "logit_bias");
  }
  for (const auto& [key, value] : bias->items()) {
    const std::string param = child_param("logit_bias", key);
    int64_t token_id = -1;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), token_id);
    if (error != std::errc() || end != key.data() + key.size() || token_id < 0) {
      return bad_request(
          fmt::format("`logit_bias` keys must be token ids (integers >= 0 as strings); got {}.", quoted_excerpt(key)),
          "logit_bias");
    }
    const std::optional<double> number = value.is_boolean() ? std::nullopt : json_to_double(value);
    if (!number || *number < -100.0 || *number > 100.0) {
      return bad_request(fmt::format("`{}` must be a number in [-100, 100].", param), param);
    }
    out.emplace_back(token_id, *number);
  }
  return std::nullopt;
}

// A field that, when "active", asks for a feature fovea does not implement.
struct RefusedField {
  std::string_view key;
  std::string_view message;
};

bool is_active(const nlohmann::json& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0.0;
  if (value.is_array() || value.is_object()) return !value.empty();
  if (value.is_string()) return !value.get<std::string>().empty();
  return true;
}

constexpr RefusedField kRefusedFields[] = {
    {"use_beam_search", "Beam search is not supported by fovea."},
    {"structured_outputs", "Structured outputs (constrained decoding) are not supported by fovea."},
    {"guided_json", "Guided decoding is not supported by fovea."},
    {"guided_regex", "Guided decoding is not supported by fovea."},
    {"guided_choice", "Guided decoding is not supported by fovea."},
    {"guided_grammar", "Guided decoding is not supported by fovea."},
    {"prompt_logprobs", "Prompt logprobs are not supported by fovea."},
    {"bad_words", "`bad_words` is not supported by fovea."},
    {"allowed_token_ids", "`allowed_token_ids` is not supported by fovea."},
    {"logprob_token_ids", "`logprob_token_ids` is not supported by fovea."},
    {"thinking_token_budget", "`thinking_token_budget` is not supported by fovea."},
    {"repetition_detection", "`repetition_detection` is not supported by fovea."},
    {"priority", "Priority scheduling is not enabled on this server; leave `priority` at 0."},
    {"watermarking", "Watermarking is not supported by fovea."},
    {"prompt_embeds", "Prompt embeddings are not accepted; send text, token ids or images."},
    {"chat_template",
     "A chat template in the request is not accepted: templates run on the server. Start the server with "
     "--chat-template instead."},
};

const std::vector<std::string_view> kSamplingFieldNames = {
    "temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty", "seed",
    "stop", "stop_token_ids", "n", "max_tokens", "max_completion_tokens", "min_tokens", "ignore_eos",
    "include_stop_str_in_output", "skip_special_tokens", "spaces_between_special_tokens", "logit_bias",
    "truncate_prompt_tokens", "truncation_side", "response_format", "best_of", "length_penalty", "user", "request_id",
    "session_id", "cache_salt", "kv_transfer_params", "ec_transfer_params", "vllm_xargs", "stream_interval",
    "return_weight_versions", "routed_experts_prompt_start", "return_token_offsets", "return_prompt_text", "mm_payload",
    "return_mm_kwargs", "return_token_ids", "return_tokens_as_token_ids", "service_tier", "store", "metadata",
    "early_stopping",
    // the refused ones, known so that they never count as "ignored"
    "use_beam_search", "structured_outputs", "guided_json", "guided_regex", "guided_choice", "guided_grammar",
    "guided_decoding_backend", "guided_whitespace_pattern", "prompt_logprobs", "bad_words", "allowed_token_ids",
    "logprob_token_ids", "thinking_token_budget", "repetition_detection", "priority", "watermarking", "prompt_embeds",
    "chat_template"};

}  // namespace

MaybeApiError parse_sampling_options(const nlohmann::json& body, const RequestLimits& limits, SamplingOptions& out) {
  FOVEA_RETURN_IF_API_ERROR(read_number_field(body, "temperature", "temperature", 0.0, 2.0, false, out.temperature));
  FOVEA_RETURN_IF_API_ERROR(read_number_field(body, "top_p", "top_p", 0.0, 1.0, true, out.top_p));
  std::optional<int64_t> top_k;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "top_k", "top_k", -1, std::numeric_limits<int32_t>::max(), top_k));
  if (top_k) out.top_k = static_cast<int32_t>(*top_k < 0 ? 0 : *top_k);
  FOVEA_RETURN_IF_API_ERROR(read_number_field(body, "min_p", "min_p", 0.0, 1.0, false, out.min_p));
  FOVEA_RETURN_IF_API_ERROR(
      read_number_field(body, "presence_penalty", "presence_penalty", -2.0, 2.0, false, out.presence_penalty));
  FOVEA_RETURN_IF_API_ERROR(
      read_number_field(body, "frequency_penalty", "frequency_penalty", -2.0, 2.0, false, out.frequency_penalty));
  if (const nlohmann::json* penalty = find_field(body, "repetition_penalty")) {
    const std::optional<double> value = penalty->is_boolean() ? std::nullopt : json_to_double(*penalty);
    if (!value || *value <= 0.0) {
      return bad_request("`repetition_penalty` must be a number greater than 0 (1 means no penalty).",
                         "repetition_penalty");
    }
    out.repetition_penalty = *value;
  }
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "seed", "seed", kInt64Min, kInt64Max, out.seed));
  FOVEA_RETURN_IF_API_ERROR(read_stop(body, limits, out.stop));
  FOVEA_RETURN_IF_API_ERROR(read_token_id_list(body, "stop_token_ids", limits.max_stop_token_ids, out.stop_token_ids));
  std::optional<int64_t> n;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "n", "n", 1, limits.max_n, n));
  if (n) out.n = static_cast<int32_t>(*n);
  std::optional<int64_t> min_tokens;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "min_tokens", "min_tokens", 0, kInt64Max, min_tokens));
  out.min_tokens = min_tokens.value_or(0);
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "ignore_eos", "ignore_eos", out.ignore_eos));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "include_stop_str_in_output", "include_stop_str_in_output",
                                            out.include_stop_str_in_output));
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(body, "skip_special_tokens", "skip_special_tokens", out.skip_special_tokens));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "spaces_between_special_tokens", "spaces_between_special_tokens",
                                            out.spaces_between_special_tokens));
  FOVEA_RETURN_IF_API_ERROR(read_logit_bias(body, limits, out.logit_bias));
  std::optional<int64_t> truncate;
  FOVEA_RETURN_IF_API_ERROR(
      read_int_field(body, "truncate_prompt_tokens", "truncate_prompt_tokens", -1, kInt64Max, truncate));
  if (truncate && *truncate == 0) {
    return bad_request("`truncate_prompt_tokens` must be -1 (up to the context) or at least 1.",
                       "truncate_prompt_tokens");
  }
  out.truncate_prompt_tokens = truncate;
  if (const nlohmann::json* best_of = find_field(body, "best_of")) {
    const std::optional<int64_t> value = json_to_int64(*best_of);
    if (best_of->is_boolean() || !value || *value != out.n) {
      return unsupported_parameter("`best_of` other than `n` is not supported by fovea.", "best_of");
    }
  }
  return std::nullopt;
}

MaybeApiError parse_max_tokens(const nlohmann::json& body, int64_t min_tokens, SamplingOptions& out) {
  const char* key = find_field(body, "max_completion_tokens") != nullptr ? "max_completion_tokens" : "max_tokens";
  std::optional<int64_t> max_tokens;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, key, key, min_tokens, kInt64Max, max_tokens));
  if (max_tokens) out.max_tokens = max_tokens;
  return std::nullopt;
}

MaybeApiError check_sampling_consistency(const SamplingOptions& options) {
  if (options.max_tokens && options.min_tokens > *options.max_tokens) {
    return bad_request(
        fmt::format("`min_tokens` ({}) must not exceed max_tokens ({}).", options.min_tokens, *options.max_tokens),
        "min_tokens");
  }
  if (options.n > 1 && options.temperature && *options.temperature == 0.0) {
    return bad_request("`n` must be 1 when temperature is 0 (greedy sampling gives identical choices).", "n");
  }
  return std::nullopt;
}

MaybeApiError refuse_unsupported_features(const nlohmann::json& body) {
  for (const RefusedField& field : kRefusedFields) {
    const auto it = body.find(field.key);
    if (it != body.end() && is_active(*it))
      return unsupported_parameter(std::string(field.message), std::string(field.key));
  }
  if (const nlohmann::json* format = find_field(body, "response_format")) {
    if (!format->is_object()) return wrong_type("response_format", "an object such as {\"type\": \"text\"}", *format);
    const nlohmann::json* type = find_field(*format, "type");
    if (type == nullptr || !type->is_string()) {
      return bad_request("`response_format.type` must be one of text, json_object, json_schema.",
                         "response_format.type");
    }
    const std::string type_name = type->get<std::string>();
    if (type_name == "json_object" || type_name == "json_schema" || type_name == "structural_tag") {
      return unsupported_parameter(
          fmt::format("`response_format` {} needs constrained decoding, which fovea does not support; use "
                      "\"text\" and ask for JSON in the prompt.",
                      type_name),
          "response_format");
    }
    if (type_name != "text") {
      return bad_request(fmt::format("`response_format.type` {} is not valid; use text, json_object or json_schema.",
                                     quoted_excerpt(type_name)),
                         "response_format.type");
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view>& sampling_field_names() { return kSamplingFieldNames; }

std::vector<std::string> unknown_fields(const nlohmann::json& body,
                                        std::initializer_list<const std::vector<std::string_view>*> known_lists) {
  std::vector<std::string> unknown;
  if (!body.is_object()) return unknown;
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const std::vector<std::string_view>* list : known_lists) {
      known = known || std::find(list->begin(), list->end(), key) != list->end();
    }
    if (!known) unknown.push_back(key);
  }
  return unknown;
}

}  // namespace fovea::serve
