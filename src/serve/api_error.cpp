// ApiError constructors, OpenAI's error JSON, the Status -> ApiError mapping and the message scrubber.
// Must not contain request parsing.
#include "serve/api_error.h"

#include <fmt/format.h>

#include <cctype>

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

ApiError make(int http_status, std::string message, std::string type, std::string param, std::string code) {
  ApiError error;
  error.http_status = http_status;
  error.message = std::move(message);
  error.type = std::move(type);
  error.param = std::move(param);
  error.code = std::move(code);
  return error;
}

bool is_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' || c == '~' || c == '+' ||
         c == '@';
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Length of an absolute path starting at `pos` ("/a/b" with at least two segments), or 0.
size_t absolute_path_length(std::string_view text, size_t pos) {
  if (text[pos] != '/') return 0;
  if (pos > 0) {
    const char before = text[pos - 1];
    // "scheme://host/..." is a URL the client sent, and "a/b" is not absolute.
    if (before == '/' || before == ':' || is_path_char(before)) return 0;
  }
  size_t end = pos;
  int num_segments = 0;
  while (end < text.size() && text[end] == '/') {
    size_t segment_end = end + 1;
    while (segment_end < text.size() && is_path_char(text[segment_end])) ++segment_end;
    if (segment_end == end + 1) break;
    ++num_segments;
    end = segment_end;
  }
  return num_segments >= 2 ? end - pos : 0;
}

// Length of "0x" followed by at least 4 hex digits at `pos`, or 0.
size_t hex_address_length(std::string_view text, size_t pos) {
  if (pos + 2 > text.size() || text[pos] != '0' || (text[pos + 1] != 'x' && text[pos + 1] != 'X')) return 0;
  if (pos > 0 && std::isalnum(static_cast<unsigned char>(text[pos - 1])) != 0) return 0;
  size_t end = pos + 2;
  while (end < text.size() && is_hex(text[end])) ++end;
  return end - pos - 2 >= 4 ? end - pos : 0;
}

// Length of a dotted IPv4 address (with an optional :port) at `pos`, or 0.
size_t ipv4_length(std::string_view text, size_t pos) {
  if (pos > 0 && (is_digit(text[pos - 1]) || text[pos - 1] == '.')) return 0;
  size_t end = pos;
  for (int group_idx = 0; group_idx < 4; ++group_idx) {
    const size_t group_start = end;
    while (end < text.size() && is_digit(text[end]) && end - group_start < 3) ++end;
    if (end == group_start) return 0;
    if (group_idx < 3) {
      if (end >= text.size() || text[end] != '.') return 0;
      ++end;
    }
  }
  if (end < text.size() && (is_digit(text[end]) || text[end] == '.')) return 0;
  if (end + 1 < text.size() && text[end] == ':' && is_digit(text[end + 1])) {
    ++end;
    while (end < text.size() && is_digit(text[end])) ++end;
  }
  return end - pos;
}

}  // namespace

nlohmann::json ApiError::to_json() const {
  nlohmann::json error = nlohmann::json::object();
  error["message"] = message;
  error["type"] = type;
  error["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  error["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
  return nlohmann::json{{"error", std::move(error)}};
}

std::string ApiError::to_body() const {
  return to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError bad_request(std::string message, std::string param) {
  return make(400, std::move(message), "invalid_request_error", std::move(param), {});
}

ApiError unsupported_parameter(std::string message, std::string param) {
  return make(400, std::move(message), "invalid_request_error", std::move(param), "unsupported_parameter");
}

ApiError invalid_json(std::string message) {
  return make(400, std::move(message), "invalid_request_error", {}, "invalid_json");
}

ApiError context_length_exceeded(int64_t num_prompt_tokens, int64_t max_output_tokens, int64_t max_model_len_tokens) {
  std::string message;
  if (max_output_tokens > 0) {
    message = fmt::format(
        "This model's maximum context length is {} tokens, but the request has {} prompt tokens and asks for {} "
        "output tokens; shorten the prompt or lower max_tokens.",
        max_model_len_tokens, num_prompt_tokens, max_output_tokens);
  } else {
    message = fmt::format(
        "This model's maximum context length is {} tokens, but the prompt has {} tokens; shorten the prompt.",
        max_model_len_tokens, num_prompt_tokens);
  }
  return make(400, std::move(message), "invalid_request_error", "messages", "context_length_exceeded");
}

ApiError unauthorized() {
  return make(401, "Missing or invalid API key; send it as 'Authorization: Bearer <key>'.", "authentication_error", {},
              "invalid_api_key");
}

ApiError model_not_found(std::string_view requested_model) {
  return make(404,
              fmt::format("The model {} does not exist on this server; GET /v1/models lists the served names.",
                          quoted_excerpt(requested_model)),
              "invalid_request_error", "model", "model_not_found");
}

ApiError route_not_found() {
  return make(404,
              "Unknown route; this server answers /v1/chat/completions, /v1/completions, /v1/models, /tokenize, "
              "/detokenize, /health, /health/live, /metrics and /version.",
              "invalid_request_error", {}, "not_found");
}

ApiError method_not_allowed(std::string_view allowed_methods) {
  return make(405, fmt::format("Method not allowed on this route; use {}.", allowed_methods), "invalid_request_error",
              {}, "method_not_allowed");
}

ApiError request_too_large(int64_t max_request_body_bytes) {
  return make(413,
              fmt::format("The request body is larger than this server's limit of {} bytes (--max-request-body-bytes); "
                          "send smaller or fewer images.",
                          max_request_body_bytes),
              "invalid_request_error", {}, "request_too_large");
}

ApiError server_overloaded() {
  return make(503, "The server's request queue is full; retry later.", "server_error", {}, "server_overloaded");
}

ApiError server_draining() {
  return make(503, "The server is shutting down and accepts no new requests; retry on another instance.",
              "server_error", {}, "server_draining");
}

ApiError model_loading() {
  return make(503, "The model is still loading; retry when /health answers 200.", "server_error", {}, "model_loading");
}

ApiError request_timeout(double request_timeout_s) {
  return make(504,
              fmt::format("The request did not finish within this server's limit of {} s (--request-timeout).",
                          request_timeout_s),
              "server_error", {}, "request_timeout");
}

ApiError internal_server_error() {
  return make(500, "The server hit an internal error while handling this request; it has been logged.", "server_error",
              {}, "internal_error");
}

ApiError api_error_from_status(const base::Status& status) {
  using base::StatusCode;
  const std::string message = scrub_internal_details(status.message());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
      return bad_request(message);
    case StatusCode::kUnsupported:
      return make(400, message, "invalid_request_error", {}, "unsupported_parameter");
    case StatusCode::kPermissionDenied:
      return make(403, message, "permission_error", {}, "permission_denied");
    case StatusCode::kResourceExhausted:
      return make(503, message, "server_error", {}, "server_overloaded");
    case StatusCode::kUnavailable:
      return make(503, message, "server_error", {}, "unavailable");
    case StatusCode::kOk:
    case StatusCode::kNotFound:  // an internal file or key: nothing a client can act on
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      break;
  }
  return internal_server_error();
}

std::string scrub_internal_details(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  size_t pos = 0;
  while (pos < message.size()) {
    if (size_t length = absolute_path_length(message, pos); length > 0) {
      out += "<path>";
      pos += length;
    } else if (size_t hex_length = hex_address_length(message, pos); hex_length > 0) {
      out += "<address>";
      pos += hex_length;
    } else if (size_t ip_length = ipv4_length(message, pos); ip_length > 0) {
      out += "<address>";
      pos += ip_length;
    } else {
      out += message[pos];
      ++pos;
    }
  }
  return out;
}

}  // namespace fovea::serve
