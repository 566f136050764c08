// classify_health on the answers fovea's /health gives (built by serve's own error constructors), vLLM's bare
// statuses, a refused key and an unreachable server.
#include "monitor/readiness.h"

#include <gtest/gtest.h>

#include "serve/api_error.h"

namespace fovea::monitor {
namespace {

base::Result<HttpAnswer> answer_for(const serve::ApiError& error) {
  return HttpAnswer{error.http_status, error.to_body()};
}

TEST(Readiness, FoveasHealthAnswers) {
  EXPECT_EQ(classify_health(HttpAnswer{200, ""}).state, Readiness::kReady);
  const ReadinessProbe loading = classify_health(answer_for(serve::model_loading()));
  EXPECT_EQ(loading.state, Readiness::kLoading);
  EXPECT_EQ(loading.reason.rfind("loading: ", 0), 0u) << loading.reason;
  EXPECT_EQ(classify_health(answer_for(serve::server_draining())).state, Readiness::kDraining);
  EXPECT_EQ(classify_health(answer_for(serve::unauthorized())).state, Readiness::kUnauthorized);
  serve::ApiError dead;
  dead.http_status = 500;
  dead.code = "engine_dead";
  EXPECT_EQ(classify_health(answer_for(dead)).state, Readiness::kEngineDead);
}

TEST(Readiness, BareStatusesReadAsVllmMeansThem) {
  EXPECT_EQ(classify_health(HttpAnswer{503, ""}).state, Readiness::kLoading);
  EXPECT_EQ(classify_health(HttpAnswer{500, "oops"}).state, Readiness::kEngineDead);
  EXPECT_EQ(classify_health(HttpAnswer{404, "{}"}).state, Readiness::kUnexpected);
}

TEST(Readiness, UnreachableKeepsTheReason) {
  const ReadinessProbe probe =
      classify_health(base::make_error(base::StatusCode::kUnavailable, "http://127.0.0.1:1/health: Connection"));
  EXPECT_EQ(probe.state, Readiness::kUnreachable);
  EXPECT_NE(probe.reason.find("Connection"), std::string::npos);
  EXPECT_TRUE(readiness_may_change(Readiness::kUnreachable));
  EXPECT_TRUE(readiness_may_change(Readiness::kLoading));
  EXPECT_FALSE(readiness_may_change(Readiness::kDraining));
  EXPECT_FALSE(readiness_may_change(Readiness::kEngineDead));
}

TEST(HttpProbe, BaseUrls) {
  EXPECT_TRUE(HttpProbe::create("http://127.0.0.1:8000", "", 1.0).ok());
  EXPECT_TRUE(HttpProbe::create("localhost:8000/prefix/", "", 1.0).ok());
  EXPECT_TRUE(HttpProbe::create("http://[::1]:8000", "", 1.0).ok());
  EXPECT_FALSE(HttpProbe::create("https://example.com", "", 1.0).ok());
  EXPECT_FALSE(HttpProbe::create("http://host:99999", "", 1.0).ok());
  EXPECT_FALSE(HttpProbe::create("http://:80", "", 1.0).ok());
}

TEST(HttpProbe, NothingListeningIsUnavailable) {
  base::Result<HttpProbe> probe = HttpProbe::create("http://127.0.0.1:1", "", 1.0);
  ASSERT_TRUE(probe.ok());
  base::Result<HttpAnswer> answer = probe->get("/health");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), base::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fovea::monitor
