// Parsing and validation of /v1/completions bodies.
// Must not contain tokenization or model-name routing.
#include "serve/completion_request.h"

#include <fmt/format.h>

#include "serve/chat_completion_request.h"
#include "serve/json_value.h"
#include "serve/request_fields.h"

namespace fovea::serve {
namespace {

constexpr int64_t kDefaultMaxTokens = 16;

const std::vector<std::string_view> kCompletionFieldNames = {
    "model", "prompt", "echo", "logprobs", "stream", "stream_options", "suffix", "add_special_tokens"};

MaybeApiError parse_token_ids(const nlohmann::json& list, const std::string& param, CompletionPrompt& out) {
  out.is_token_ids = true;
  for (size_t idx = 0; idx < list.size(); ++idx) {
    const std::optional<int64_t> token_id = list[idx].is_boolean() ? std::nullopt : json_to_int64(list[idx]);
    if (!token_id || *token_id < 0) {
      return bad_request(fmt::format("`{}` must be a token id (an integer >= 0).", index_param(param, idx)),
                         index_param(param, idx));
    }
    out.token_ids.push_back(*token_id);
  }
  if (out.token_ids.empty()) return bad_request(fmt::format("`{}` must not be empty.", param), param);
  return std::nullopt;
}

MaybeApiError parse_prompts(const nlohmann::json& body, const RequestLimits& limits,
                            std::vector<CompletionPrompt>& out) {
  const nlohmann::json* prompt = find_field(body, "prompt");
  if (prompt == nullptr) return bad_request("`prompt` is required.", "prompt");
  if (prompt->is_string()) {
    if (prompt->get<std::string>().empty()) return bad_request("`prompt` must not be empty.", "prompt");
    out.push_back(CompletionPrompt{false, prompt->get<std::string>(), {}});
    return std::nullopt;
  }
  if (!prompt->is_array() || prompt->empty()) {
    return bad_request(
        "`prompt` must be a string, an array of strings, an array of token ids, or an array of "
        "token-id arrays, and not empty.",
        "prompt");
  }
  const nlohmann::json& first = prompt->front();
  if (first.is_number() || first.is_boolean()) {
    CompletionPrompt tokens;
    FOVEA_RETURN_IF_API_ERROR(parse_token_ids(*prompt, "prompt", tokens));
    out.push_back(std::move(tokens));
    return std::nullopt;
  }
  if (static_cast<int64_t>(prompt->size()) > limits.max_prompts_per_request) {
    return bad_request(fmt::format("This server accepts at most {} prompt(s) per request; got {}. Send one request "
                                   "per prompt.",
                                   limits.max_prompts_per_request, prompt->size()),
                       "prompt");
  }
  for (size_t prompt_idx = 0; prompt_idx < prompt->size(); ++prompt_idx) {
    const nlohmann::json& item = (*prompt)[prompt_idx];
    const std::string param = index_param("prompt", prompt_idx);
    CompletionPrompt parsed;
    if (item.is_string()) {
      if (item.get<std::string>().empty()) return bad_request(fmt::format("`{}` must not be empty.", param), param);
      parsed.text = item.get<std::string>();
    } else if (item.is_array()) {
      FOVEA_RETURN_IF_API_ERROR(parse_token_ids(item, param, parsed));
    } else {
      return wrong_type(param, "a string or an array of token ids", item);
    }
    out.push_back(std::move(parsed));
  }
  return std::nullopt;
}

}  // namespace

ApiResult<CompletionRequest> completion_request_from_json(const nlohmann::json& body, const RequestLimits& limits) {
  if (!body.is_object()) return invalid_json("The request body must be a JSON object.");
  CompletionRequest request;
  FOVEA_RETURN_IF_API_ERROR(refuse_unsupported_features(body));
  if (const nlohmann::json* suffix = find_field(body, "suffix")) {
    if (!suffix->is_string() || !suffix->get<std::string>().empty()) {
      return unsupported_parameter("`suffix` (fill-in-the-middle) is not supported by fovea.", "suffix");
    }
  }
  std::optional<std::string> model;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "model", "model", model));
  request.model = model.value_or("");
  FOVEA_RETURN_IF_API_ERROR(parse_prompts(body, limits, request.prompts));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "echo", "echo", request.echo));
  FOVEA_RETURN_IF_API_ERROR(parse_sampling_options(body, limits, request.sampling));
  // OpenAI's default of 16 tokens; 0 only makes sense with echo (the prompt, scored).
  request.sampling.max_tokens = kDefaultMaxTokens;
  FOVEA_RETURN_IF_API_ERROR(parse_max_tokens(body, request.echo ? 0 : 1, request.sampling));
  FOVEA_RETURN_IF_API_ERROR(check_sampling_consistency(request.sampling));
  std::optional<int64_t> logprobs;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "logprobs", "logprobs", 0, limits.max_logprobs, logprobs));
  if (logprobs) request.sampling.num_logprobs = static_cast<int32_t>(*logprobs);
  FOVEA_RETURN_IF_API_ERROR(
      parse_stream_options(body, request.stream, request.include_usage, request.continuous_usage_stats));
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(body, "add_special_tokens", "add_special_tokens", request.add_special_tokens));
  std::optional<std::string> request_id;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "request_id", "request_id", request_id));
  request.request_id = request_id.value_or("");
  FOVEA_RETURN_IF_API_ERROR(parse_cache_salt(body, request.cache_salt));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "return_token_ids", "return_token_ids", request.return_token_ids));
  request.ignored_fields = unknown_fields(body, {&kCompletionFieldNames, &sampling_field_names()});
  return request;
}

ApiResult<CompletionRequest> parse_completion_request(std::string_view body, const RequestLimits& limits) {
  ApiResult<nlohmann::json> parsed = parse_request_object(body);
  if (!parsed.ok()) return parsed.error();
  return completion_request_from_json(parsed.value(), limits);
}

}  // namespace fovea::serve
