// http(s) media fetching on cpp-httplib: the client is pinned to an address we resolved and checked
// (set_hostname_addr_map, so the library never looks the name up again) while TLS still verifies the certificate
// against the host name. A watchdog thread stops the client at the deadline, since the library's timeouts are per
// operation. Must not contain URL parsing or image decoding.
#include "vision/http_media_fetch.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "vision/host_resolver.h"
#include "vision/http_url.h"
#include "vision/ip_address_class.h"

namespace fovea::vision {
namespace {

using Clock = std::chrono::steady_clock;

// A host name resolving to several addresses is tried on at most this many before giving up.
constexpr size_t kMaxAddressesTried = 4;
constexpr std::chrono::seconds kWatchdogSlack{1};
// A failure this close to the deadline is reported as the time cap (poll() rounds its timeout to milliseconds).
constexpr std::chrono::milliseconds kDeadlineTolerance{20};

std::string normalized_domain(std::string_view domain) {
  std::string out(domain);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  if (out.size() > 1 && out.back() == '.') out.pop_back();
  return out;
}

bool loopback_allowed_by_environment() {
  static const bool allowed = [] {
    const char* value = std::getenv("FOVEA_MEDIA_ALLOW_LOOPBACK_FOR_TESTS");
    const bool on = value != nullptr && std::string_view(value) == "1";
    if (on) {
      FOVEA_LOG_WARN(
          "FOVEA_MEDIA_ALLOW_LOOPBACK_FOR_TESTS=1: image URLs may reach loopback addresses; this is for "
          "tests only");
    }
    return on;
  }();
  return allowed;
}

// Calls client.stop() if the deadline passes before it is destroyed. stop() is the library's thread-safe way to
// abort a request in flight (it shuts the socket down under the client's own mutex).
class DeadlineWatchdog {
 public:
  DeadlineWatchdog(httplib::ClientImpl& client, Clock::time_point deadline)
      : thread_([this, &client, deadline] {
          std::unique_lock lock(mutex_);
          if (!finished_cv_.wait_until(lock, deadline, [this] { return finished_; })) {
            fired_ = true;
            client.stop();
          }
        }) {}
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;
  ~DeadlineWatchdog() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    finished_cv_.notify_all();
    thread_.join();
  }

  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  bool finished_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the members it reads exist
};

enum class Refusal : uint8_t { kNone, kRedirect, kHttpStatus, kTooLarge, kTimeout };

struct Attempt {
  Refusal refusal = Refusal::kNone;
  int http_status = 0;
  httplib::Error error = httplib::Error::Success;
  bool timed_out = false;
  std::vector<uint8_t> body;
};

Attempt get_from(const HttpUrl& url, const IpAddress& address, const MediaFetchPolicy& policy,
                 Clock::time_point deadline) {
  Attempt attempt;
  std::unique_ptr<httplib::ClientImpl> client;
  if (url.is_https) {
    auto tls_client = std::make_unique<httplib::SSLClient>(url.host, url.port);
    tls_client->enable_server_certificate_verification(true);
    client = std::move(tls_client);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  client->set_hostname_addr_map({{url.host, address.to_string()}});
  client->set_follow_location(false);
  client->set_keep_alive(false);
  client->set_url_encode(false);  // parse_http_url already encoded the target
  // Reads and writes wait a little past the deadline so that the watchdog, not a per-read timeout rounded to
  // milliseconds, ends a stalled transfer. The connection and TLS handshake run under the client's lock, where
  // stop() cannot reach them, so they get exactly the time left.
  const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  client->set_connection_timeout(remaining);
  client->set_read_timeout(remaining + kWatchdogSlack);
  client->set_write_timeout(remaining + kWatchdogSlack);
  const httplib::Headers headers = {
      {"Accept", "image/*"}, {"Accept-Encoding", "identity"}, {"User-Agent", "fovea-media-fetch"}};

  auto on_response = [&](const httplib::Response& response) {
    attempt.http_status = response.status;
    if (response.status >= 300 && response.status < 400) {
      attempt.refusal = Refusal::kRedirect;
      return false;
    }
    if (response.status != 200) {
      attempt.refusal = Refusal::kHttpStatus;
      return false;
    }
    if (response.has_header("Content-Length")) {
      const std::string length_text = response.get_header_value("Content-Length");
      uint64_t length_bytes = 0;
      const auto [end, error] =
          std::from_chars(length_text.data(), length_text.data() + length_text.size(), length_bytes);
      if (error == std::errc::result_out_of_range || (error == std::errc() && length_bytes > policy.max_bytes)) {
        attempt.refusal = Refusal::kTooLarge;
        return false;
      }
    }
    return true;
  };
  auto on_body = [&](const char* data, size_t num_bytes) {
    if (attempt.body.size() + num_bytes > policy.max_bytes) {
      attempt.refusal = Refusal::kTooLarge;
      return false;
    }
    if (Clock::now() >= deadline) {
      attempt.refusal = Refusal::kTimeout;
      return false;
    }
    attempt.body.insert(attempt.body.end(), data, data + num_bytes);
    return true;
  };

  DeadlineWatchdog watchdog(*client, deadline);
  const httplib::Result result = client->Get(url.target, headers, on_response, on_body);
  attempt.error = result.error();
  attempt.timed_out = watchdog.fired() || Clock::now() + kDeadlineTolerance >= deadline ||
                      attempt.error == httplib::Error::ConnectionTimeout;
  return attempt;
}

base::Status attempt_status(const Attempt& attempt, const MediaFetchPolicy& policy) {
  switch (attempt.refusal) {
    case Refusal::kRedirect:
      return base::invalid_argument(
          "the image URL answered with a redirect (HTTP {}), which this server does not follow; send the final URL",
          attempt.http_status);
    case Refusal::kHttpStatus:
      return base::invalid_argument("the image URL answered with HTTP {} instead of 200; check the URL",
                                    attempt.http_status);
    case Refusal::kTooLarge:
      return base::invalid_argument("the image at the URL is larger than the limit of {} bytes; send a smaller image",
                                    policy.max_bytes);
    case Refusal::kTimeout:
    case Refusal::kNone:
      break;
  }
  if (attempt.refusal == Refusal::kTimeout || attempt.timed_out) {
    return base::invalid_argument(
        "fetching the image took longer than the limit of {} ms; send the image as a data: "
        "URL",
        policy.timeout_ms);
  }
  switch (attempt.error) {
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return base::invalid_argument(
          "the TLS connection to the image server failed (untrusted certificate or handshake error); check the URL");
    case httplib::Error::Connection:
      return base::invalid_argument("the image server could not be reached; check the URL");
    default:
      return base::invalid_argument("the image server's answer could not be read; check the URL");
  }
}

}  // namespace

bool is_allowed_media_host(std::string_view host, const std::vector<std::string>& allowed_domains) {
  const std::string wanted = normalized_domain(host);
  return std::any_of(allowed_domains.begin(), allowed_domains.end(),
                     [&](const std::string& domain) { return !domain.empty() && normalized_domain(domain) == wanted; });
}

base::Result<std::vector<uint8_t>> fetch_http_media(std::string_view url_text, const MediaFetchPolicy& policy) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(policy.timeout_ms, 1));
  FOVEA_ASSIGN_OR_RETURN(HttpUrl url, parse_http_url(url_text));
  if (!is_allowed_media_host(url.host, policy.allowed_media_domains)) {
    return base::invalid_argument(
        "image URLs of this domain are not allowed by this server; send the image as a data: URL (the server can "
        "allow domains with --allowed-media-domains)");
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<IpAddress> addresses, resolve_host(url.host, deadline));
  const bool loopback_allowed = policy.allow_loopback_for_tests || loopback_allowed_by_environment();
  for (const IpAddress& address : addresses) {
    const AddressClass address_class = classify_address(address);
    if (address_class == AddressClass::kPublic || (loopback_allowed && address_class == AddressClass::kLoopback)) {
      continue;
    }
    // One internal address is enough to refuse: a name that mixes public and internal answers is not trusted.
    FOVEA_LOG_WARN("media fetch: refused {}: it resolves to {} ({} address)", url.host, address.to_string(),
                   address_class_name(address_class));
    return base::invalid_argument(
        "the image URL's host resolves to a private, loopback or otherwise internal network address, which this "
        "server does not fetch from");
  }

  Attempt attempt;
  const size_t num_tried = std::min(addresses.size(), kMaxAddressesTried);
  for (size_t address_idx = 0; address_idx < num_tried; ++address_idx) {
    attempt = get_from(url, addresses[address_idx], policy, deadline);
    if (attempt.refusal == Refusal::kNone && attempt.error == httplib::Error::Success) return std::move(attempt.body);
    FOVEA_LOG_WARN("media fetch from {} ({}) failed: {}, HTTP {}", url.host, addresses[address_idx].to_string(),
                   httplib::to_string(attempt.error), attempt.http_status);
    // Only a refused connection is worth the next address; any answer from the server is final.
    if (attempt.refusal != Refusal::kNone || attempt.timed_out || attempt.error != httplib::Error::Connection) break;
  }
  return attempt_status(attempt, policy);
}

}  // namespace fovea::vision
