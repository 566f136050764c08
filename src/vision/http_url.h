// Parsing an http(s) image URL into what fetching needs: scheme, host, port and the request target.
// Refuses what a fetch must never act on (credentials, control characters, hosts that are not plain DNS names or IP
// literals). Must not contain DNS resolution, address policy or networking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fovea::vision {

struct HttpUrl {
  bool is_https = false;
  std::string host;  // lower case, without brackets for an IPv6 literal or a trailing dot
  bool host_is_ip_literal = false;
  uint16_t port = 80;  // the default port of the scheme when the URL names none
  std::string target;  // path and query as sent on the request line ("/" when empty); the fragment is dropped
};

// The parts of an http:// or https:// URL. Errors are one sentence that never repeats the URL.
// Bytes outside printable ASCII (and spaces) in the path or query are percent-encoded, as browsers do; control
// characters anywhere, user names or passwords, ports outside 1..65535 and non-ASCII host names are refused.
base::Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace fovea::vision
