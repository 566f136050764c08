// Parsing and validation of /v1/chat/completions bodies.
// Must not contain tokenization, chat-template rendering or model-name routing.
#include "serve/chat_completion_request.h"

#include <fmt/format.h>

#include "serve/json_value.h"
#include "serve/request_fields.h"

namespace fovea::serve {
namespace {

const std::vector<std::string_view> kChatFieldNames = {"model",
                                                       "messages",
                                                       "logprobs",
                                                       "top_logprobs",
                                                       "stream",
                                                       "stream_options",
                                                       "tools",
                                                       "tool_choice",
                                                       "parallel_tool_calls",
                                                       "chat_template_kwargs",
                                                       "mm_processor_kwargs",
                                                       "add_generation_prompt",
                                                       "continue_final_message",
                                                       "add_special_tokens",
                                                       "echo",
                                                       "reasoning_effort",
                                                       "include_reasoning",
                                                       "documents",
                                                       "media_io_kwargs",
                                                       "functions",
                                                       "function_call",
                                                       "modalities",
                                                       "audio",
                                                       "prediction",
                                                       "web_search_options",
                                                       "verbosity"};

MaybeApiError parse_logprobs(const nlohmann::json& body, const RequestLimits& limits, SamplingOptions& sampling) {
  bool logprobs = false;
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "logprobs", "logprobs", logprobs));
  std::optional<int64_t> top_logprobs;
  FOVEA_RETURN_IF_API_ERROR(read_int_field(body, "top_logprobs", "top_logprobs", 0, limits.max_logprobs, top_logprobs));
  if (top_logprobs && *top_logprobs > 0 && !logprobs) {
    return bad_request("When using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs");
  }
  if (logprobs) sampling.num_logprobs = static_cast<int32_t>(top_logprobs.value_or(0));
  return std::nullopt;
}

MaybeApiError parse_reasoning_effort(const nlohmann::json& body, std::optional<ReasoningEffort>& out) {
  std::optional<std::string> effort;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "reasoning_effort", "reasoning_effort", effort));
  if (!effort) return std::nullopt;
  static constexpr std::pair<std::string_view, ReasoningEffort> kEfforts[] = {
      {"none", ReasoningEffort::kNone},     {"minimal", ReasoningEffort::kMinimal}, {"low", ReasoningEffort::kLow},
      {"medium", ReasoningEffort::kMedium}, {"high", ReasoningEffort::kHigh},       {"xhigh", ReasoningEffort::kXhigh},
      {"max", ReasoningEffort::kMax}};
  for (const auto& [name, value] : kEfforts) {
    if (*effort == name) {
      out = value;
      return std::nullopt;
    }
  }
  return bad_request(fmt::format("`reasoning_effort` {} is not valid; use none, minimal, low, medium, high, xhigh or "
                                 "max.",
                                 quoted_excerpt(*effort)),
                     "reasoning_effort");
}

MaybeApiError parse_template_options(const nlohmann::json& body, const RequestLimits& limits,
                                     ChatCompletionRequest& out) {
  if (const nlohmann::json* kwargs = find_field(body, "chat_template_kwargs")) {
    if (!kwargs->is_object()) return wrong_type("chat_template_kwargs", "an object", *kwargs);
    out.chat_template_kwargs = *kwargs;
  }
  if (const nlohmann::json* kwargs = find_field(body, "mm_processor_kwargs")) {
    if (std::optional<FieldError> error =
            parse_mm_processor_kwargs(*kwargs, limits.max_image_pixels, out.mm_processor_kwargs, nullptr)) {
      const std::string param = child_param("mm_processor_kwargs", error->param);
      return bad_request(fmt::format("`{}` {}.", param, error->message), param);
    }
  }
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(body, "add_generation_prompt", "add_generation_prompt", out.add_generation_prompt));
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(body, "continue_final_message", "continue_final_message", out.continue_final_message));
  if (out.add_generation_prompt && out.continue_final_message) {
    return bad_request("Cannot set both `continue_final_message` and `add_generation_prompt` to true.",
                       "continue_final_message");
  }
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "add_special_tokens", "add_special_tokens", out.add_special_tokens));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "echo", "echo", out.echo));
  FOVEA_RETURN_IF_API_ERROR(parse_reasoning_effort(body, out.reasoning_effort));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "include_reasoning", "include_reasoning", out.include_reasoning));
  if (find_field(body, "functions") != nullptr || find_field(body, "function_call") != nullptr) {
    return unsupported_parameter("The legacy `functions` / `function_call` fields are not supported; use `tools`.",
                                 "functions");
  }
  return std::nullopt;
}

}  // namespace

MaybeApiError parse_stream_options(const nlohmann::json& body, bool& stream, bool& include_usage,
                                   bool& continuous_usage_stats) {
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "stream", "stream", stream));
  const nlohmann::json* options = find_field(body, "stream_options");
  if (options == nullptr) return std::nullopt;
  if (!options->is_object()) return wrong_type("stream_options", "an object", *options);
  if (!stream) return bad_request("Stream options can only be defined when `stream` is true.", "stream_options");
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(*options, "include_usage", "stream_options.include_usage", include_usage));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(*options, "continuous_usage_stats", "stream_options.continuous_usage_stats",
                                            continuous_usage_stats));
  return std::nullopt;
}

MaybeApiError parse_cache_salt(const nlohmann::json& body, std::optional<std::string>& out) {
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "cache_salt", "cache_salt", out));
  if (!out) return std::nullopt;
  // vLLM's rule: non-empty, at most 128 characters, none of '@', '/', '\', NUL.
  if (out->empty() || out->size() > 128 || out->find_first_of(std::string_view("@/\\\0", 4)) != std::string::npos) {
    return bad_request(
        "`cache_salt` must be a non-empty string of at most 128 characters without '@', '/', '\\' "
        "or NUL.",
        "cache_salt");
  }
  return std::nullopt;
}

ApiResult<ChatCompletionRequest> chat_completion_request_from_json(const nlohmann::json& body,
                                                                   const RequestLimits& limits) {
  if (!body.is_object()) return invalid_json("The request body must be a JSON object.");
  ChatCompletionRequest request;
  FOVEA_RETURN_IF_API_ERROR(refuse_unsupported_features(body));
  std::optional<std::string> model;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "model", "model", model));
  request.model = model.value_or("");
  const nlohmann::json* messages = find_field(body, "messages");
  if (messages == nullptr) return bad_request("`messages` is required.", "messages");
  FOVEA_RETURN_IF_API_ERROR(parse_chat_messages(*messages, limits, request.messages));
  FOVEA_RETURN_IF_API_ERROR(parse_sampling_options(body, limits, request.sampling));
  FOVEA_RETURN_IF_API_ERROR(parse_max_tokens(body, 1, request.sampling));
  FOVEA_RETURN_IF_API_ERROR(check_sampling_consistency(request.sampling));
  FOVEA_RETURN_IF_API_ERROR(parse_logprobs(body, limits, request.sampling));
  FOVEA_RETURN_IF_API_ERROR(
      parse_stream_options(body, request.stream, request.include_usage, request.continuous_usage_stats));
  FOVEA_RETURN_IF_API_ERROR(parse_tools(body, limits, request.tools, request.tool_choice, request.parallel_tool_calls));
  FOVEA_RETURN_IF_API_ERROR(parse_template_options(body, limits, request));
  std::optional<std::string> request_id;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(body, "request_id", "request_id", request_id));
  request.request_id = request_id.value_or("");
  FOVEA_RETURN_IF_API_ERROR(parse_cache_salt(body, request.cache_salt));
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "return_token_ids", "return_token_ids", request.return_token_ids));
  request.ignored_fields = unknown_fields(body, {&kChatFieldNames, &sampling_field_names()});
  return request;
}

ApiResult<ChatCompletionRequest> parse_chat_completion_request(std::string_view body, const RequestLimits& limits) {
  ApiResult<nlohmann::json> parsed = parse_request_object(body);
  if (!parsed.ok()) return parsed.error();
  return chat_completion_request_from_json(parsed.value(), limits);
}

}  // namespace fovea::serve
