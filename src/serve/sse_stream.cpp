// SSE framing.
// Must not contain HTTP transport or chunk JSON building.
#include "serve/sse_stream.h"

#include "serve/json_value.h"

namespace fovea::serve {

std::string sse_event(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 8);
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    out += '\n';
    if (end == std::string_view::npos) break;
    // "\r\n" counts as one line break.
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  out += '\n';
  return out;
}

std::string sse_json(const nlohmann::ordered_json& value) { return sse_event(dump_json(value)); }
std::string sse_json(const nlohmann::json& value) { return sse_event(dump_json(value)); }

std::string sse_done() { return "data: [DONE]\n\n"; }

std::string sse_error(const ApiError& error) { return sse_event(error.to_body()); }

std::string sse_keepalive() { return ": keep-alive\n\n"; }

}  // namespace fovea::serve
