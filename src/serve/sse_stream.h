// Server-sent events framing for streamed answers: "data: <json>\n\n" per chunk, "data: [DONE]\n\n" at the end,
// errors mid-stream as a data event holding OpenAI's error object, and comment lines as keep-alives.
// Must not contain HTTP transport or chunk JSON building.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "serve/api_error.h"

namespace fovea::serve {

// One event carrying `data`; a payload with line breaks becomes several "data:" lines, as SSE requires.
std::string sse_event(std::string_view data);
// One event carrying the compact JSON of `value` (never has a line break).
std::string sse_json(const nlohmann::ordered_json& value);
std::string sse_json(const nlohmann::json& value);
// "data: [DONE]\n\n", the end of an OpenAI stream.
std::string sse_done();
// An error after the stream started (the status line is already sent): the error JSON as an event.
std::string sse_error(const ApiError& error);
// ": keep-alive\n\n", a comment that clients ignore and proxies see as traffic.
std::string sse_keepalive();

}  // namespace fovea::serve
