// HttpReply: what a route handler answers, independent of the HTTP library: a status with a JSON (or text) body,
// or a stream that the transport runs after sending the headers. Must not contain route logic.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/api_error.h"

namespace fovea::serve {

// Writes one piece of a streamed body; false once the client has gone (the stream must stop).
using StreamWriter = std::function<bool(std::string_view)>;

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for server-sent events: runs on the HTTP thread once the headers are out.
  std::function<void(const StreamWriter& write)> stream;
  // The id this answer carries (generation routes: the response id); X-Request-Id when the client sent none.
  std::string request_id;
};

// What a route may know about the HTTP request besides its body.
struct HttpRequestInfo {
  // The client's X-Request-Id when it is valid (request_id.h), else empty. vLLM makes it the request's id.
  std::string client_request_id;
};

HttpReply json_reply(const nlohmann::ordered_json& value, int status = 200);
// The error body; 503 answers carry Retry-After so clients and balancers back off.
HttpReply error_reply(const ApiError& error);

}  // namespace fovea::serve
