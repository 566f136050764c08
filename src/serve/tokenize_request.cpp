// /tokenize and /detokenize bodies and answers.
// Must not contain tokenization.
#include "serve/tokenize_request.h"

#include <fmt/format.h>

#include "serve/json_value.h"
#include "serve/request_fields.h"
#include "serve/sampling_options.h"

namespace fovea::serve {
namespace {

MaybeApiError parse_chat_form(const nlohmann::json& body, const RequestLimits& limits, TokenizeRequest& out) {
  out.is_chat = true;
  out.add_special_tokens = false;
  FOVEA_RETURN_IF_API_ERROR(parse_chat_messages(body["messages"], limits, out.messages));
  // Tools are only rendered here, so the tool_choice rules of generation do not apply.
  RequestLimits tool_limits = limits;
  tool_limits.enable_auto_tool_choice = true;
  tool_limits.allow_forced_tool_choice = true;
  ToolChoice unused_choice;
  bool unused_parallel = true;
  FOVEA_RETURN_IF_API_ERROR(parse_tools(body, tool_limits, out.tools, unused_choice, unused_parallel));
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
  return std::nullopt;
}

}  // namespace

ApiResult<TokenizeRequest> parse_tokenize_request(std::string_view body, const RequestLimits& limits) {
  ApiResult<nlohmann::json> parsed = parse_request_object(body);
  if (!parsed.ok()) return parsed.error();
  const nlohmann::json& object = parsed.value();
  TokenizeRequest request;
  FOVEA_RETURN_IF_API_ERROR(refuse_unsupported_features(object));
  std::optional<std::string> model;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(object, "model", "model", model));
  request.model = model.value_or("");
  if (find_field(object, "messages") != nullptr) {
    FOVEA_RETURN_IF_API_ERROR(parse_chat_form(object, limits, request));
  } else {
    std::optional<std::string> prompt;
    FOVEA_RETURN_IF_API_ERROR(read_string_field(object, "prompt", "prompt", prompt));
    if (!prompt) return bad_request("Either `prompt` (a string) or `messages` is required.", "prompt");
    request.prompt = std::move(*prompt);
  }
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(object, "add_special_tokens", "add_special_tokens", request.add_special_tokens));
  FOVEA_RETURN_IF_API_ERROR(
      read_bool_field(object, "return_token_strs", "return_token_strs", request.return_token_strs));
  return request;
}

ApiResult<DetokenizeRequest> parse_detokenize_request(std::string_view body) {
  ApiResult<nlohmann::json> parsed = parse_request_object(body);
  if (!parsed.ok()) return parsed.error();
  const nlohmann::json& object = parsed.value();
  DetokenizeRequest request;
  std::optional<std::string> model;
  FOVEA_RETURN_IF_API_ERROR(read_string_field(object, "model", "model", model));
  request.model = model.value_or("");
  const nlohmann::json* tokens = find_field(object, "tokens");
  if (tokens == nullptr) return bad_request("`tokens` is required.", "tokens");
  if (!tokens->is_array()) return wrong_type("tokens", "an array of token ids", *tokens);
  for (size_t idx = 0; idx < tokens->size(); ++idx) {
    const nlohmann::json& item = (*tokens)[idx];
    const std::optional<int64_t> token_id = item.is_boolean() ? std::nullopt : json_to_int64(item);
    if (!token_id || *token_id < 0) {
      return bad_request(fmt::format("`{}` must be a token id (an integer >= 0).", index_param("tokens", idx)),
                         index_param("tokens", idx));
    }
    request.tokens.push_back(*token_id);
  }
  return request;
}

nlohmann::ordered_json build_tokenize_response(const std::vector<int64_t>& tokens, int64_t max_model_len_tokens,
                                               const std::vector<std::string>* token_strs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["count"] = tokens.size();
  out["max_model_len"] = max_model_len_tokens;
  out["tokens"] = tokens;
  out["token_strs"] = token_strs != nullptr ? nlohmann::ordered_json(*token_strs) : nlohmann::ordered_json(nullptr);
  return out;
}

nlohmann::ordered_json build_detokenize_response(const std::string& prompt) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["prompt"] = prompt;
  return out;
}

}  // namespace fovea::serve
