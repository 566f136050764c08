// SSE framing.
// OpenAI streams: one "data:" event per chunk, "[DONE]" at the end.
#include <gtest/gtest.h>

#include "serve/sse_stream.h"

namespace fovea::serve {
namespace {

TEST(SseTest, Framing) {
  EXPECT_EQ(sse_json(nlohmann::ordered_json({{"a", 1}, {"b", "x\ny"}})), "data: {\"a\":1,\"b\":\"x\\ny\"}\n\n");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
  EXPECT_EQ(sse_keepalive(), ": keep-alive\n\n");
  EXPECT_EQ(sse_event("one\ntwo\r\nthree\rfour"), "data: one\ndata: two\ndata: three\ndata: four\n\n");
  EXPECT_EQ(sse_event(""), "data: \n\n");
  const std::string error = sse_error(bad_request("bad", "temperature"));
  EXPECT_EQ(error.rfind("data: {\"error\":", 0), 0u);
  EXPECT_EQ(error.substr(error.size() - 2), "\n\n");
  const nlohmann::json body = nlohmann::json::parse(error.substr(6));
  EXPECT_EQ(body["error"]["param"], "temperature");
}

TEST(SseTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string text = "ok \xff\xfe end";
  const std::string event = sse_json(nlohmann::ordered_json({{"content", text}}));
  EXPECT_NE(event.find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace fovea::serve
