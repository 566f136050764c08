// HttpServer: the HTTP transport of `fovea serve` over cpp-httplib: binds, routes the endpoints to
// openai_routes.h, checks API keys before routing, enforces body/header limits and timeouts, answers unknown routes
// and wrong methods with OpenAI errors, streams SSE replies, and counts answers in fovea:http_requests.
// Must not contain route logic; the httplib types stay in the .cpp.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "serve/server_context.h"

namespace fovea::serve {

class HttpServer {
 public:
  explicit HttpServer(ServerContext& context);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds --host/--port (port 0 picks a free one); returns the bound port.
  base::Result<int> bind(const std::string& host, int port);
  // Serves until stop(); call after bind(), from a thread of its own.
  base::Status run();
  // Stops accepting and returns run() once the handlers have returned; safe from any thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fovea::serve
