// HttpProbe: plain HTTP GETs against a running server's base URL (http://host:port, optionally with a path prefix)
// with a timeout and an optional API key, for `fovea top` and `fovea check --url`. Must not contain the meaning of
// the answers (readiness.h, metrics_snapshot.h).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::monitor {

struct HttpAnswer {
  int http_status = 0;
  std::string body;
};

class HttpProbe {
 public:
  // `base_url`: "http://host:port" or "host:port" (http assumed), optionally ending in a path prefix. https is not
  // spoken (put a local port or an http sidecar in front). An error names the URL and what is wrong with it.
  static base::Result<HttpProbe> create(std::string_view base_url, std::string api_key, double timeout_s);

  // GET base path + `path`. kUnavailable when the server cannot be reached or does not answer in time.
  base::Result<HttpAnswer> get(std::string_view path) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;  // as given, for messages
  std::string host_;
  int port_ = 80;
  std::string path_prefix_;  // "" or "/prefix" without a trailing slash
  std::string api_key_;
  double timeout_s_ = 5.0;
};

}  // namespace fovea::monitor
