// Resolving a host name once, with a deadline, for media fetching: the addresses it returns are the only ones the
// fetch may connect to (no second lookup that DNS rebinding could answer differently).
// Must not contain address policy or HTTP.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "vision/ip_address_class.h"

namespace fovea::vision {

// The TCP addresses of `host` (a DNS name, or a numeric address returned as it is), in the resolver's preferred
// order, without duplicates. getaddrinfo has no timeout of its own, so it runs on a helper thread that is abandoned (it
// ends on its own) when the deadline passes. Errors are one client-safe sentence that never names the host.
base::Result<std::vector<IpAddress>> resolve_host(const std::string& host,
                                                  std::chrono::steady_clock::time_point deadline);

}  // namespace fovea::vision
