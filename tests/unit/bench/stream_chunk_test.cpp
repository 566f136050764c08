// parse_stream_chunk: the chunk shapes of chat and completion streams, usage, errors and malformed server JSON.
#include "bench/stream_chunk.h"

#include <gtest/gtest.h>

namespace fovea::bench {
namespace {

TEST(StreamChunk, ReadsContentReasoningTextUsageAndDone) {
  auto role = parse_stream_chunk(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})");
  ASSERT_TRUE(role.ok());
  EXPECT_TRUE(role->has_choices);
  EXPECT_FALSE(role->has_output);

  auto content = parse_stream_chunk(R"({"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]})");
  ASSERT_TRUE(content.ok());
  EXPECT_TRUE(content->has_output);
  EXPECT_EQ(content->text, "Hi");

  auto reasoning = parse_stream_chunk(R"({"choices":[{"delta":{"reasoning_content":"hmm","content":null}}]})");
  ASSERT_TRUE(reasoning.ok());
  EXPECT_TRUE(reasoning->has_output);
  EXPECT_EQ(reasoning->text, "hmm");

  auto completion = parse_stream_chunk(R"({"choices":[{"text":" world","index":0}]})");
  ASSERT_TRUE(completion.ok());
  EXPECT_EQ(completion->text, " world");

  auto usage =
      parse_stream_chunk(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}})");
  ASSERT_TRUE(usage.ok());
  EXPECT_FALSE(usage->has_choices);
  ASSERT_TRUE(usage->usage.has_value());
  EXPECT_EQ(usage->usage->prompt_tokens, 12);
  EXPECT_EQ(usage->usage->completion_tokens, 5);

  auto done = parse_stream_chunk("[DONE]");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->is_done);

  auto error = parse_stream_chunk(R"({"error":{"message":"boom","type":"InternalServerError","code":500}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->error_message, "boom");
}

TEST(StreamChunk, MalformedServerJsonIsAnErrorNotACrash) {
  for (const char* bad : {"", "{", "[1,2]", "\"text\"", R"({"choices":{}})", R"({"choices":[1]})",
                          R"({"choices":[{"delta":{"content":5}}]})", R"({"choices":[{"delta":[]}]})",
                          R"({"usage":{"prompt_tokens":-1,"completion_tokens":1}})", R"({"usage":{"prompt_tokens":1}})",
                          R"({"usage":[]})", R"({"choices":[{"text":{}}]})"}) {
    auto chunk = parse_stream_chunk(bad);
    EXPECT_FALSE(chunk.ok()) << bad;
    if (!chunk.ok()) {
      EXPECT_FALSE(chunk.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace fovea::bench
