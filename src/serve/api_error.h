// ApiError: one HTTP error answer in OpenAI's schema {"error": {"message", "type", "param", "code"}}, and
// ApiResult<T>, a value or an ApiError, which is how request parsing and validation report failures.
// Messages are written for API clients: they never carry file paths, addresses or fovea's internal names.
// Must not contain request parsing or HTTP transport.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/status.h"

namespace fovea::serve {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";  // OpenAI's error type string
  std::string param;                           // the offending field ("messages[0].content"); empty -> null
  std::string code;                            // machine-readable code ("model_not_found"); empty -> null

  // {"error": {"message", "type", "param", "code"}}
  nlohmann::json to_json() const;
  // to_json() serialized compactly; invalid UTF-8 in the message is replaced, never thrown on.
  std::string to_body() const;
};

// 400 invalid_request_error: a field has a bad type or value.
ApiError bad_request(std::string message, std::string param = {});
// 400 with code "unsupported_parameter": a valid OpenAI/vLLM feature that fovea does not implement.
ApiError unsupported_parameter(std::string message, std::string param);
// 400: the body is not JSON, or not a JSON object.
ApiError invalid_json(std::string message);
// 400 with code "context_length_exceeded" (prompt plus requested output longer than --max-model-len).
ApiError context_length_exceeded(int64_t num_prompt_tokens, int64_t max_output_tokens, int64_t max_model_len_tokens);
// 401 with code "invalid_api_key".
ApiError unauthorized();
// 404 with code "model_not_found".
ApiError model_not_found(std::string_view requested_model);
// 404 for an unknown route.
ApiError route_not_found();
// 405 for a known route with the wrong method.
ApiError method_not_allowed(std::string_view allowed_methods);
// 413: the body is larger than --max-request-body-bytes.
ApiError request_too_large(int64_t max_request_body_bytes);
// 503 with code "server_overloaded": the waiting queue is full (--max-queue-len, --max-num-queued-reqs).
ApiError server_overloaded();
// 503 with code "server_draining": the server is shutting down and takes no new requests.
ApiError server_draining();
// 503 with code "model_loading": the model is not ready yet.
ApiError model_loading();
// 504 with code "request_timeout": the request ran past --request-timeout.
ApiError request_timeout(double request_timeout_s);
// 500 server_error with a fixed message: the details stay in the server log, never in the answer.
ApiError internal_server_error();

// Maps a Status from another module to an answer. Client-caused codes keep their message (scrubbed of anything
// that looks like an absolute path or an address); server-side codes get internal_server_error()'s fixed message.
ApiError api_error_from_status(const base::Status& status);

// Replaces absolute filesystem paths and hexadecimal addresses in `message` with placeholders.
std::string scrub_internal_details(std::string_view message);

// A value or an ApiError (the request-side twin of base::Result).
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  const ApiError& error() const { return std::get<ApiError>(state_); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, ApiError> state_;
};

// An optional error: what validation steps return (nullopt = fine).
using MaybeApiError = std::optional<ApiError>;

}  // namespace fovea::serve

// Returns the error from the enclosing function when `expr` (a MaybeApiError) holds one.
#define FOVEA_RETURN_IF_API_ERROR(expr)                      \
  do {                                                       \
    ::fovea::serve::MaybeApiError fovea_api_error_ = (expr); \
    if (fovea_api_error_) return *fovea_api_error_;          \
  } while (false)
