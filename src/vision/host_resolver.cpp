// getaddrinfo behind a deadline: the lookup runs on a detached thread that shares its result slot with the caller
// through a shared_ptr, so a caller that gives up leaves nothing dangling. Must not contain address policy.
#include "vision/host_resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "base/log.h"

namespace fovea::vision {
namespace {

struct Lookup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  int error = 0;
  std::vector<IpAddress> addresses;
};

void run_lookup(const std::string& host, const std::shared_ptr<Lookup>& lookup) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* result = nullptr;
  const int error = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  std::vector<IpAddress> addresses;
  for (const addrinfo* entry = result; error == 0 && entry != nullptr; entry = entry->ai_next) {
    const std::optional<IpAddress> address = IpAddress::from_sockaddr(entry->ai_addr);
    if (!address) continue;
    const bool seen = std::any_of(addresses.begin(), addresses.end(), [&](const IpAddress& other) {
      return other.is_ipv6 == address->is_ipv6 && other.bytes == address->bytes;
    });
    if (!seen) addresses.push_back(*address);
  }
  if (result != nullptr) freeaddrinfo(result);
  std::lock_guard lock(lookup->mutex);
  lookup->error = error;
  lookup->addresses = std::move(addresses);
  lookup->done = true;
  lookup->done_cv.notify_all();
}

}  // namespace

base::Result<std::vector<IpAddress>> resolve_host(const std::string& host,
                                                  std::chrono::steady_clock::time_point deadline) {
  if (std::optional<IpAddress> literal = IpAddress::parse(host)) return std::vector<IpAddress>{*literal};
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([host, lookup] { run_lookup(host, lookup); }).detach();
  } catch (const std::system_error&) {
    return base::invalid_argument("the server is out of threads to resolve the image URL's host; retry later");
  }
  std::unique_lock lock(lookup->mutex);
  if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return base::invalid_argument("resolving the image URL's host name took longer than the fetch time limit");
  }
  if (lookup->error != 0 || lookup->addresses.empty()) {
    FOVEA_LOG_WARN("media fetch: resolving {} failed: {}", host,
                   lookup->error != 0 ? gai_strerror(lookup->error) : "no IPv4/IPv6 address");
    return base::invalid_argument("the image URL's host name could not be resolved; check the URL");
  }
  return std::move(lookup->addresses);
}

}  // namespace fovea::vision
