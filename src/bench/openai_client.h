// One HTTP connection to an OpenAI-compatible server, for one bench worker at a time (not thread-safe: each
// worker owns its client, so requests of one worker reuse a keep-alive connection). Streams chat/completions
// into RequestRecords and makes the small JSON calls (/tokenize, /detokenize, /v1/models, a probe request).
// Must not contain dataset, scheduling or metric logic.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "bench/request_record.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace fovea::bench {

struct ServerAddress {
  std::string scheme_host_port;  // "http://127.0.0.1:8000", what the HTTP client connects to
  std::string path_prefix;       // "" or "/proxy" (never ends in '/'); routes are appended to it
  std::string api_key;           // sent as "Authorization: Bearer <key>" when not empty
};

// --base-url: http(s)://host[:port][/prefix]. A trailing "/v1" is dropped (routes carry it), so both the
// server root and the OpenAI client's base URL work.
base::Result<ServerAddress> parse_server_address(std::string_view base_url, std::string api_key);

class OpenAiClient {
 public:
  OpenAiClient(const ServerAddress& address, double request_timeout_s);
  ~OpenAiClient();
  OpenAiClient(const OpenAiClient&) = delete;
  OpenAiClient& operator=(const OpenAiClient&) = delete;

  // POSTs a streaming request body to `route` and reads the answer as it arrives. `seed` carries start_time_s,
  // queue_time_s and num_images; the rest is measured. Never fails as a call: a failure is a record with an error
  // (an HTTP error keeps the first KiB of the server's body).
  RequestRecord stream(std::string_view route, const std::string& body, RequestRecord seed);

  // A non-streaming JSON call; an error Status names the route and carries the server's message.
  base::Result<nlohmann::json> post_json(std::string_view route, const nlohmann::json& body);
  base::Result<nlohmann::json> get_json(std::string_view route);

 private:
  base::Result<nlohmann::json> finish_json_call(std::string_view route, bool transport_ok, int status,
                                                const std::string& body, const std::string& transport_error);

  ServerAddress address_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace fovea::bench
