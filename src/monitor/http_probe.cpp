// HttpProbe over cpp-httplib's client: URL splitting, timeouts, the bearer key. Must not contain answer parsing.
#include "monitor/http_probe.h"

#include <httplib.h>

#include <charconv>

namespace fovea::monitor {

base::Result<HttpProbe> HttpProbe::create(std::string_view base_url, std::string api_key, double timeout_s) {
  HttpProbe probe;
  probe.base_url_ = std::string(base_url);
  probe.api_key_ = std::move(api_key);
  probe.timeout_s_ = timeout_s > 0.0 ? timeout_s : 5.0;
  std::string_view rest = base_url;
  if (rest.starts_with("https://")) {
    return base::invalid_argument(
        "--url {}: fovea top and fovea check speak plain http; give the server's http:// "
        "address",
        base_url);
  }
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    probe.path_prefix_ = std::string(prefix);
  }
  const size_t colon = authority.rfind(':');
  const bool bracketed_ipv6 = authority.starts_with('[');
  if (colon != std::string_view::npos && (!bracketed_ipv6 || authority.find(']') < colon)) {
    const std::string_view digits = authority.substr(colon + 1);
    int port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return base::invalid_argument("--url {}: '{}' is not a port; give http://HOST:PORT", base_url, digits);
    }
    probe.port_ = port;
    authority = authority.substr(0, colon);
  }
  if (bracketed_ipv6 && authority.size() >= 2 && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) return base::invalid_argument("--url {}: no host; give http://HOST:PORT", base_url);
  probe.host_ = std::string(authority);
  return probe;
}

base::Result<HttpAnswer> HttpProbe::get(std::string_view path) const {
  httplib::Client client(host_, port_);
  const auto timeout_us = static_cast<int64_t>(timeout_s_ * 1e6);
  client.set_connection_timeout(timeout_us / 1000000, timeout_us % 1000000);
  client.set_read_timeout(timeout_us / 1000000, timeout_us % 1000000);
  client.set_write_timeout(timeout_us / 1000000, timeout_us % 1000000);
  httplib::Headers headers;
  if (!api_key_.empty()) headers.emplace("Authorization", "Bearer " + api_key_);
  httplib::Result result = client.Get(path_prefix_ + std::string(path), headers);
  if (!result) {
    return base::make_error(base::StatusCode::kUnavailable, "{}{}: {}", base_url_, path,
                            httplib::to_string(result.error()));
  }
  return HttpAnswer{result->status, result->body};
}

}  // namespace fovea::monitor
