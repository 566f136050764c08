// API-key authentication: comparison, Bearer parsing, which routes are public.
// Must not depend on a running server: the checks are pure functions of path, header and keys.
#include <gtest/gtest.h>

#include "serve/api_key_auth.h"

namespace fovea::serve {
namespace {

TEST(AuthTest, ConstantTimeEqualsIsCorrect) {
  EXPECT_TRUE(constant_time_equals("sk-abc", "sk-abc"));
  EXPECT_FALSE(constant_time_equals("sk-abc", "sk-abd"));
  EXPECT_FALSE(constant_time_equals("sk-abc", "sk-ab"));
  EXPECT_FALSE(constant_time_equals("sk-abc", "sk-abcd"));
  EXPECT_FALSE(constant_time_equals("sk-abc", ""));
  EXPECT_FALSE(constant_time_equals("", ""));           // an empty key never authenticates
  EXPECT_FALSE(constant_time_equals("abcabc", "abc"));  // the cyclic read must not make a prefix match
  EXPECT_FALSE(constant_time_equals("abc", "abcabc"));
  EXPECT_TRUE(constant_time_equals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(AuthTest, BearerParsing) {
  EXPECT_EQ(parse_bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(parse_bearer_token("bearer abc"), "abc");
  EXPECT_EQ(parse_bearer_token("BEARER   abc  "), "abc");
  EXPECT_EQ(parse_bearer_token("  Bearer\tabc"), "abc");
  EXPECT_FALSE(parse_bearer_token("Basic abc").has_value());
  EXPECT_FALSE(parse_bearer_token("Bearer").has_value());
  EXPECT_FALSE(parse_bearer_token("Bearer    ").has_value());
  EXPECT_FALSE(parse_bearer_token("Bearerabc").has_value());
  EXPECT_FALSE(parse_bearer_token("abc").has_value());
  EXPECT_FALSE(parse_bearer_token("").has_value());
}

TEST(AuthTest, PublicRoutes) {
  EXPECT_FALSE(route_requires_auth("/health", false));
  EXPECT_FALSE(route_requires_auth("/health/live", false));
  EXPECT_FALSE(route_requires_auth("/version", false));
  EXPECT_FALSE(route_requires_auth("/metrics", false));
  EXPECT_TRUE(route_requires_auth("/metrics", true));
  EXPECT_FALSE(route_requires_auth("/health?verbose=1", false));
  for (const char* path : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/tokenize", "/detokenize",
                           "/health/", "//health", "/HEALTH", "/health/../v1/models", "/metrics/x", "", "/"}) {
    EXPECT_TRUE(route_requires_auth(path, false)) << path;
  }
}

TEST(AuthTest, CheckWithSeveralKeys) {
  const ApiKeyAuth auth({"key-one", "key-two"}, false);
  ASSERT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.key_matches("key-two"));
  EXPECT_FALSE(auth.key_matches("key-three"));
  EXPECT_FALSE(auth.check("/v1/models", "Bearer key-one").has_value());
  EXPECT_FALSE(auth.check("/v1/models", "bearer  key-two").has_value());
  EXPECT_FALSE(auth.check("/health", std::nullopt).has_value());
  EXPECT_FALSE(auth.check("/metrics", std::nullopt).has_value());
  const MaybeApiError missing = auth.check("/v1/chat/completions", std::nullopt);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->http_status, 401);
  EXPECT_FALSE(auth.check("/v1/chat/completions", "Bearer key-one ").has_value());
  EXPECT_TRUE(auth.check("/v1/chat/completions", "Bearer key-on").has_value());
  EXPECT_TRUE(auth.check("/v1/chat/completions", "Token key-one").has_value());
  const ApiKeyAuth metrics_auth({"k"}, true);
  EXPECT_TRUE(metrics_auth.check("/metrics", std::nullopt).has_value());
  const ApiKeyAuth open_server({}, true);
  EXPECT_FALSE(open_server.enabled());
  EXPECT_FALSE(open_server.check("/v1/models", std::nullopt).has_value());
}

}  // namespace
}  // namespace fovea::serve
