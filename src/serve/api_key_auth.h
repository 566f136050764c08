// API-key authentication: which routes need a key, parsing of "Authorization: Bearer <key>" (scheme in any case,
// extra spaces), and a comparison against every configured key whose time does not depend on where (or whether)
// the presented key matches. Must not contain HTTP transport.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"

namespace fovea::serve {

// Compares `provided` with `expected` in time that depends only on provided.size(): every byte is visited and no
// branch depends on the contents. Different lengths compare unequal.
bool constant_time_equals(std::string_view expected, std::string_view provided);

// The key of an "Authorization" header value: "Bearer <key>" with the scheme in any case and any spaces or tabs
// around; nullopt for another scheme or an empty key.
std::optional<std::string_view> parse_bearer_token(std::string_view authorization_header);

// Whether `path` (query string ignored) needs a key: every route except /health, /health/live, /version and,
// unless metrics_require_auth, /metrics. Anything not exactly one of those needs a key (fail closed).
bool route_requires_auth(std::string_view path, bool metrics_require_auth);

class ApiKeyAuth {
 public:
  ApiKeyAuth(std::vector<std::string> api_keys, bool metrics_require_auth);

  bool enabled() const { return !api_keys_.empty(); }

  // True when `key` equals one of the configured keys; all keys are compared every time.
  bool key_matches(std::string_view key) const;

  // nullopt: let the request through. Otherwise the 401 answer. `authorization_header` is the header's value, or
  // nullopt when the request has none.
  MaybeApiError check(std::string_view path, std::optional<std::string_view> authorization_header) const;

 private:
  std::vector<std::string> api_keys_;
  bool metrics_require_auth_;
};

}  // namespace fovea::serve
