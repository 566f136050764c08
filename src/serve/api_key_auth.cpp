// API-key checks: constant-time comparison, Bearer parsing, the public-route list.
// Must not contain HTTP transport.
#include "serve/api_key_auth.h"

#include <cctype>

namespace fovea::serve {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool constant_time_equals(std::string_view expected, std::string_view provided) {
  // Loop over the provided key (whose length the client knows anyway); read the expected key cyclically so the
  // access pattern never reveals its length. The length difference is folded into the result.
  unsigned char difference = expected.size() == provided.size() ? 0 : 1;
  if (expected.empty()) return false;
  for (size_t idx = 0; idx < provided.size(); ++idx) {
    const auto expected_byte = static_cast<unsigned char>(expected[idx % expected.size()]);
    difference |= static_cast<unsigned char>(expected_byte ^ static_cast<unsigned char>(provided[idx]));
  }
  // A volatile read keeps the compiler from turning the loop into an early-exit comparison.
  volatile unsigned char result = difference;
  return result == 0;
}

std::optional<std::string_view> parse_bearer_token(std::string_view header) {
  while (!header.empty() && is_blank(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_blank(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t idx = 0; idx < kScheme.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(header[idx])) != kScheme[idx]) return std::nullopt;
  }
  if (!is_blank(header[kScheme.size()])) return std::nullopt;
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && is_blank(token.front())) token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

bool route_requires_auth(std::string_view path, bool metrics_require_auth) {
  if (const size_t query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
  if (path == "/health" || path == "/health/live" || path == "/version") return false;
  if (path == "/metrics") return metrics_require_auth;
  return true;
}

ApiKeyAuth::ApiKeyAuth(std::vector<std::string> api_keys, bool metrics_require_auth)
    : api_keys_(std::move(api_keys)), metrics_require_auth_(metrics_require_auth) {}

bool ApiKeyAuth::key_matches(std::string_view key) const {
  bool matched = false;
  for (const std::string& expected : api_keys_) matched |= constant_time_equals(expected, key);
  return matched;
}

MaybeApiError ApiKeyAuth::check(std::string_view path, std::optional<std::string_view> authorization_header) const {
  if (!enabled() || !route_requires_auth(path, metrics_require_auth_)) return std::nullopt;
  if (!authorization_header) return unauthorized();
  const std::optional<std::string_view> token = parse_bearer_token(*authorization_header);
  if (!token || !key_matches(*token)) return unauthorized();
  return std::nullopt;
}

}  // namespace fovea::serve
