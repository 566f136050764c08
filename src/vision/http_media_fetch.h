// Fetching an image over http(s) under the server's media rules: allowed domains only (exact host match), one DNS
// resolution whose addresses must all be public, a connection to those addresses only, no redirects, a byte cap and
// a total time limit. Must not contain URL parsing details, image decoding or local-file access.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "vision/media_fetch.h"

namespace fovea::vision {

// Whether `host` (as parse_http_url returns it) is one of `allowed_domains`: the same name, ignoring case and a
// trailing dot. A subdomain does not match its parent (vLLM's rule): list every host you allow.
bool is_allowed_media_host(std::string_view host, const std::vector<std::string>& allowed_domains);

// The body of a 200 response to GET `url`. Every refusal or failure is kInvalidArgument with one sentence safe to show
// a client (it never names the host, an address or the URL); the server log gets the host and address.
base::Result<std::vector<uint8_t>> fetch_http_media(std::string_view url, const MediaFetchPolicy& policy);

}  // namespace fovea::vision
