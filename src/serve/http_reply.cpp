// JSON and error replies.
// Must not contain route logic.
#include "serve/http_reply.h"

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

// How long a client should wait before retrying a 503 (seconds, the Retry-After value).
constexpr const char* kRetryAfterSeconds = "1";

}  // namespace

HttpReply json_reply(const nlohmann::ordered_json& value, int status) {
  HttpReply reply;
  reply.status = status;
  reply.body = dump_json(value);
  return reply;
}

HttpReply error_reply(const ApiError& error) {
  HttpReply reply;
  reply.status = error.http_status;
  reply.body = error.to_body();
  if (error.http_status == 503) reply.headers.emplace_back("Retry-After", kRetryAfterSeconds);
  return reply;
}

}  // namespace fovea::serve
