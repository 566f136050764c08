// vision::parse_http_url: scheme/host/port/target split, normalisation (case, trailing dot, percent-encoding of the
// target) and every refusal (credentials, other schemes, control characters, bad ports, odd hosts), and the
// allowed-domain match. Refusal messages never repeat the URL.
#include "vision/http_url.h"

#include <gtest/gtest.h>

#include "vision/http_media_fetch.h"

namespace fovea::vision {
namespace {

HttpUrl parse_ok(const std::string& url) {
  auto parsed = parse_http_url(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().to_string();
  return parsed.ok() ? *parsed : HttpUrl{};
}

void expect_refused(const std::string& url, const std::string& needle) {
  auto parsed = parse_http_url(url);
  ASSERT_FALSE(parsed.ok()) << url;
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(needle), std::string::npos) << url << ": " << parsed.status().message();
  EXPECT_EQ(parsed.status().message().find("secret"), std::string::npos) << parsed.status().message();
}

TEST(HttpUrl, SplitsSchemeHostPortAndTarget) {
  HttpUrl url = parse_ok("https://Images.Example.COM/a/b.png?x=1&y=2#frag");
  EXPECT_TRUE(url.is_https);
  EXPECT_EQ(url.host, "images.example.com");
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.target, "/a/b.png?x=1&y=2");
  EXPECT_FALSE(url.host_is_ip_literal);

  url = parse_ok("HTTP://example.com:8080");
  EXPECT_FALSE(url.is_https);
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.target, "/");

  url = parse_ok("http://example.com.:/x");
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(parse_ok("http://example.com?q").target, "/?q");
  EXPECT_EQ(parse_ok("http://my_host-1.example/x").host, "my_host-1.example");
}

TEST(HttpUrl, EncodesSpacesNonAsciiAndUnsafeCharactersOfTheTarget) {
  EXPECT_EQ(parse_ok("http://h.example/a b/\xc3\xa9.png?q=a b").target, "/a%20b/%C3%A9.png?q=a%20b");
  EXPECT_EQ(parse_ok("http://h.example/a\\b\"<>^`{|}").target, "/a%5Cb%22%3C%3E%5E%60%7B%7C%7D");
  EXPECT_EQ(parse_ok("http://h.example/already%20encoded+plus").target, "/already%20encoded+plus");
}

TEST(HttpUrl, AcceptsIpLiterals) {
  HttpUrl url = parse_ok("http://[2001:DB8::1]:8443/x");
  EXPECT_EQ(url.host, "2001:db8::1");
  EXPECT_TRUE(url.host_is_ip_literal);
  EXPECT_EQ(url.port, 8443);
  url = parse_ok("http://[::ffff:10.0.0.1]/x");
  EXPECT_EQ(url.host, "::ffff:10.0.0.1");
  url = parse_ok("http://192.0.2.7/x");
  EXPECT_EQ(url.host, "192.0.2.7");
  EXPECT_TRUE(url.host_is_ip_literal);
}

TEST(HttpUrl, RefusesWhatAFetchMustNotActOn) {
  expect_refused("http://user:secret@example.com/x", "user name or password");
  expect_refused("http://secret@example.com/x", "user name or password");
  expect_refused("http://example.com@evil.example/x", "user name or password");
  expect_refused("ftp://example.com/x", "http:// or https://");
  expect_refused("file:///etc/passwd", "http:// or https://");
  expect_refused("javascript:alert(1)", "http:// or https://");
  expect_refused("http:/example.com/x", "http:// or https://");
  expect_refused("http://example.com/a\r\nX-Secret: 1", "control character");
  expect_refused(std::string("http://example.com/\0secret", 26), "control character");
  expect_refused("http://example.com\t/x", "control character");
  expect_refused("http:///x", "no host");
  expect_refused("http://:80/x", "no host");
  expect_refused("http://example.com:0/x", "port");
  expect_refused("http://example.com:65536/x", "port");
  expect_refused("http://example.com:123456/x", "port");
  expect_refused("http://example.com:8o/x", "port");
  expect_refused("http://example.com:-1/x", "port");
  expect_refused("http://ex ample.com/x", "valid host name");
  expect_refused("http://example.com\\@evil.example/x", "user name or password");
  expect_refused("http://example.com\\.evil/x", "valid host name");
  expect_refused("http://exa%6dple.com/x", "valid host name");
  expect_refused("http://a..b/x", "valid host name");
  expect_refused("http://./x", "valid host name");
  expect_refused("http://" + std::string(64, 'a') + ".com/x", "valid host name");
  expect_refused(
      "http://b\xc3\xbc"
      "cher.example/x",
      "punycode");
  expect_refused("http://[::1/x", "unclosed");
  expect_refused("http://[fe80::1%25eth0]/x", "IPv6");
  expect_refused("http://[example.com]/x", "IPv6");
  expect_refused("http://::1/x", "valid host name");
  expect_refused("http://2130706433/x", "dotted-quad");
  expect_refused("http://127.1/x", "dotted-quad");
  expect_refused("http://0x7f.0.0.1/x", "dotted-quad");
  expect_refused("http://1.2.3.4.5/x", "dotted-quad");
  expect_refused("http://example.com/" + std::string(17000, 'a'), "longer than");
}

TEST(HttpUrl, AllowedDomainsMatchTheExactHostIgnoringCaseAndTrailingDot) {
  const std::vector<std::string> allowed = {"Upload.Wikimedia.org", "example.com."};
  EXPECT_TRUE(is_allowed_media_host("upload.wikimedia.org", allowed));
  EXPECT_TRUE(is_allowed_media_host("example.com", allowed));
  EXPECT_FALSE(is_allowed_media_host("wikimedia.org", allowed));
  EXPECT_FALSE(is_allowed_media_host("evil.upload.wikimedia.org", allowed));
  EXPECT_FALSE(is_allowed_media_host("sub.example.com", allowed));
  EXPECT_FALSE(is_allowed_media_host("example.com.evil.example", allowed));
  EXPECT_FALSE(is_allowed_media_host("example.co", allowed));
  EXPECT_FALSE(is_allowed_media_host("example.com", {}));
  EXPECT_FALSE(is_allowed_media_host("", {""}));
}

}  // namespace
}  // namespace fovea::vision
