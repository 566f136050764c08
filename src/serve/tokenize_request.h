// vLLM's /tokenize and /detokenize: request parsing (the completion form {"prompt"} or the chat form
// {"messages"}) and the response JSON ({"count", "max_model_len", "tokens", "token_strs"} and {"prompt"}).
// Must not contain tokenization.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"
#include "serve/chat_message.h"
#include "serve/chat_tools.h"
#include "serve/multimodal_options.h"
#include "serve/request_limits.h"

namespace fovea::serve {

struct TokenizeRequest {
  std::string model;
  bool is_chat = false;
  std::string prompt;                 // !is_chat
  std::vector<ChatMessage> messages;  // is_chat
  std::vector<ToolDefinition> tools;  // is_chat: rendered by the template
  nlohmann::json chat_template_kwargs = nlohmann::json::object();
  MmProcessorKwargs mm_processor_kwargs;
  bool add_generation_prompt = true;
  bool continue_final_message = false;
  bool add_special_tokens = true;  // vLLM's defaults: true for the prompt form, false for the chat form
  bool return_token_strs = false;
};

struct DetokenizeRequest {
  std::string model;
  std::vector<int64_t> tokens;
};

ApiResult<TokenizeRequest> parse_tokenize_request(std::string_view body, const RequestLimits& limits);
ApiResult<DetokenizeRequest> parse_detokenize_request(std::string_view body);

// `token_strs` is included when the request asked for it (pass nullptr otherwise).
nlohmann::ordered_json build_tokenize_response(const std::vector<int64_t>& tokens, int64_t max_model_len_tokens,
                                               const std::vector<std::string>* token_strs);
nlohmann::ordered_json build_detokenize_response(const std::string& prompt);

}  // namespace fovea::serve
