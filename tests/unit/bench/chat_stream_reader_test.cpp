// ChatStreamReader: vLLM's TTFT / ITL / e2e definitions over a timed byte stream, usage as the token counts, and
// every way a stream can fail.
#include "bench/chat_stream_reader.h"

#include <gtest/gtest.h>

namespace fovea::bench {
namespace {

std::string event(std::string_view json) { return "data: " + std::string(json) + "\n\n"; }

TEST(ChatStreamReader, TimesTheFirstOutputNotTheRoleChunkAndUsesTheServersUsage) {
  RequestRecord seed;
  seed.num_images = 2;
  ChatStreamReader reader(seed);
  EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"), 0.010));
  EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{"content":"a"}}]})"), 0.100));
  // Two chunks in one read share its arrival time: an ITL of zero, as vLLM records it.
  EXPECT_TRUE(reader.on_bytes(
      event(R"({"choices":[{"delta":{"content":"b"}}]})") + event(R"({"choices":[{"delta":{"content":"c"}}]})"),
      0.150));
  EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{},"finish_reason":"length"}]})"), 0.160));
  EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":3}})"), 0.170));
  EXPECT_TRUE(reader.on_bytes("data: [DONE]\n\n", 0.180));
  RequestRecord record = reader.finish("");
  ASSERT_TRUE(record.success) << record.error;
  EXPECT_DOUBLE_EQ(record.ttft_s, 0.100);
  ASSERT_EQ(record.itl_s.size(), 2u);
  EXPECT_DOUBLE_EQ(record.itl_s[0], 0.050);
  EXPECT_DOUBLE_EQ(record.itl_s[1], 0.0);
  EXPECT_DOUBLE_EQ(record.latency_s, 0.160);  // the finish chunk, not the usage chunk
  EXPECT_EQ(record.prompt_tokens, 40);
  EXPECT_EQ(record.output_tokens, 3);
  EXPECT_TRUE(record.usage_reported);
  EXPECT_EQ(record.generated_text, "abc");
  EXPECT_EQ(record.num_images, 2);
}

TEST(ChatStreamReader, WithoutUsageTheOutputChunksAreCounted) {
  ChatStreamReader reader(RequestRecord{});
  EXPECT_TRUE(reader.on_bytes(
      event(R"({"choices":[{"delta":{"content":"x"}}]})") + event(R"({"choices":[{"delta":{"content":"y"}}]})"), 0.2));
  RequestRecord record = reader.finish("");
  ASSERT_TRUE(record.success);
  EXPECT_FALSE(record.usage_reported);
  EXPECT_EQ(record.output_tokens, 2);
}

TEST(ChatStreamReader, FailuresSayWhy) {
  {
    ChatStreamReader reader(RequestRecord{});
    EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{"role":"assistant"}}]})") + "data: [DONE]\n\n", 0.1));
    RequestRecord record = reader.finish("");
    EXPECT_FALSE(record.success);
    EXPECT_NE(record.error.find("without any output"), std::string::npos);
  }
  {
    ChatStreamReader reader(RequestRecord{});
    EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{"content":"x"}}]})"), 0.1));
    EXPECT_FALSE(reader.on_bytes(event(R"({"error":{"message":"engine died"}})"), 0.2));
    RequestRecord record = reader.finish("");
    EXPECT_FALSE(record.success);
    EXPECT_NE(record.error.find("engine died"), std::string::npos);
  }
  {
    ChatStreamReader reader(RequestRecord{});
    EXPECT_FALSE(reader.on_bytes("data: {not json\n\n", 0.1));
    EXPECT_FALSE(reader.finish("").success);
  }
  {
    ChatStreamReader reader(RequestRecord{});
    EXPECT_TRUE(reader.on_bytes(event(R"({"choices":[{"delta":{"content":"x"}}]})"), 0.1));
    RequestRecord record = reader.finish("Read");
    EXPECT_FALSE(record.success);
    EXPECT_NE(record.error.find("mid-stream"), std::string::npos);
  }
}

}  // namespace
}  // namespace fovea::bench
