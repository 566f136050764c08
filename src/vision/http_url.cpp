// http(s) URL parsing for media fetching (RFC 3986 authority rules, the WHATWG habit of percent-encoding spaces and
// non-ASCII bytes of the path). Must not resolve names or decide which hosts are allowed.
#include "vision/http_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace fovea::vision {
namespace {

constexpr size_t kMaxUrlChars = 16384;
constexpr size_t kMaxHostChars = 253;
constexpr size_t kMaxLabelChars = 63;

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char lower, char c) { return std::tolower(static_cast<unsigned char>(c)) == lower; });
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Characters RFC 3986 allows as they are in a path or query ('%' is taken to start an escape already made).
bool is_path_char(unsigned char c) {
  if (std::isalnum(c)) return true;
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?%";
  return kAllowed.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string encode_target(std::string_view path_and_query) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  if (path_and_query.empty() || path_and_query.front() != '/') out += '/';
  for (const char ch : path_and_query) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_path_char(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A DNS name: dot-separated labels of letters, digits, '-' and '_' (the underscore appears in real host names).
bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostChars) return false;
  size_t label_chars = 0;
  for (const char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label_chars == 0) return false;
      label_chars = 0;
      continue;
    }
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
    if (++label_chars > kMaxLabelChars) return false;
  }
  return label_chars > 0;
}

bool is_ipv4_literal(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

base::Status parse_host(std::string_view host_text, HttpUrl& out) {
  if (host_text.empty()) return base::invalid_argument("the image URL has no host name");
  if (host_text.front() == '[') {
    if (host_text.back() != ']') return base::invalid_argument("the image URL has an unclosed '[' in its host");
    out.host = to_lower(host_text.substr(1, host_text.size() - 2));
    if (!is_ipv6_literal(out.host)) {
      return base::invalid_argument("the image URL's bracketed host is not a plain IPv6 address");
    }
    out.host_is_ip_literal = true;
    return base::Status();
  }
  for (const char ch : host_text) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      return base::invalid_argument("the image URL's host name is not ASCII; write it in its xn-- (punycode) form");
    }
  }
  out.host = to_lower(host_text);
  if (out.host.size() > 1 && out.host.back() == '.') out.host.pop_back();
  if (!is_dns_name(out.host)) {
    return base::invalid_argument("the image URL's host is not a valid host name (letters, digits, '-', '.')");
  }
  const std::string_view last_label = std::string_view(out.host).substr(out.host.rfind('.') + 1);
  if (is_digits(last_label) || starts_with_ci(last_label, "0x")) {
    // inet_aton would read "2130706433", "127.1" or "0x7f.1" as addresses: only the dotted-quad form is accepted.
    if (!is_ipv4_literal(out.host)) {
      return base::invalid_argument("a numeric image URL host must be a dotted-quad IPv4 address such as 192.0.2.1");
    }
    out.host_is_ip_literal = true;
  }
  return base::Status();
}

base::Status parse_port(std::string_view port_text, HttpUrl& out) {
  if (port_text.empty()) return base::Status();  // "host:" means the default port (RFC 3986 section 3.2.3)
  if (!is_digits(port_text) || port_text.size() > 5) {
    return base::invalid_argument("the image URL's port must be a number from 1 to 65535");
  }
  const int port = std::stoi(std::string(port_text));
  if (port < 1 || port > 65535) return base::invalid_argument("the image URL's port must be a number from 1 to 65535");
  out.port = static_cast<uint16_t>(port);
  return base::Status();
}

}  // namespace

base::Result<HttpUrl> parse_http_url(std::string_view url) {
  if (url.size() > kMaxUrlChars) {
    return base::invalid_argument("the image URL is longer than {} characters; send the image as a data: URL",
                                  kMaxUrlChars);
  }
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return base::invalid_argument("the image URL contains a control character");
  }
  HttpUrl out;
  std::string_view rest;
  if (starts_with_ci(url, "http://")) {
    rest = url.substr(7);
  } else if (starts_with_ci(url, "https://")) {
    out.is_https = true;
    out.port = 443;
    rest = url.substr(8);
  } else {
    return base::invalid_argument("the image URL must start with http:// or https://");
  }

  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path_and_query = rest.substr(authority_end);
  path_and_query = path_and_query.substr(0, std::min(path_and_query.find('#'), path_and_query.size()));
  if (authority.find('@') != std::string_view::npos) {
    return base::invalid_argument("image URLs must not contain a user name or password");
  }

  std::string_view host_text = authority;
  std::string_view port_text;
  const size_t bracket_end = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket_end == std::string_view::npos || colon > bracket_end)) {
    host_text = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  FOVEA_RETURN_IF_ERROR(parse_host(host_text, out));
  FOVEA_RETURN_IF_ERROR(parse_port(port_text, out));
  out.target = encode_target(path_and_query);
  return out;
}

}  // namespace fovea::vision
