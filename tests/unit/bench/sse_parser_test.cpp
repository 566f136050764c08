// SseParser: line endings, multi-line data, comments, events split at every byte, the size cap.
#include "bench/sse_parser.h"

#include <gtest/gtest.h>

namespace fovea::bench {
namespace {

std::vector<std::string> parse_all(std::string_view bytes, size_t piece_bytes) {
  SseParser parser;
  std::vector<std::string> events;
  for (size_t offset = 0; offset < bytes.size(); offset += piece_bytes) {
    EXPECT_TRUE(parser.feed(bytes.substr(offset, piece_bytes), events).ok());
  }
  parser.finish(events);
  return events;
}

TEST(SseParser, EveryLineEndingAndEverySplitGiveTheSameEvents) {
  const std::vector<std::string> expected = {"{\"a\":1}", "line1\nline2", "[DONE]"};
  for (std::string_view end : {"\n", "\r\n", "\r"}) {
    std::string stream;
    stream += ": keep-alive" + std::string(end) + std::string(end);
    stream += "data: {\"a\":1}" + std::string(end) + std::string(end);
    stream += "event: message" + std::string(end) + "data:line1" + std::string(end) + "data: line2" + std::string(end) +
              "id: 7" + std::string(end) + std::string(end);
    stream += "data: [DONE]" + std::string(end) + std::string(end);
    for (size_t piece = 1; piece <= stream.size(); ++piece) {
      EXPECT_EQ(parse_all(stream, piece), expected) << "piece " << piece;
    }
  }
}

TEST(SseParser, ALastEventWithoutItsBlankLineCountsAtTheEnd) {
  EXPECT_EQ(parse_all("data: {\"x\":2}", 3), std::vector<std::string>{"{\"x\":2}"});
  EXPECT_EQ(parse_all("data: {\"x\":2}\n", 100), std::vector<std::string>{"{\"x\":2}"});
  EXPECT_TRUE(parse_all(": only a comment\n\n\n", 2).empty());
}

TEST(SseParser, AnEventPastTheCapIsAnError) {
  SseParser parser(64);
  std::vector<std::string> events;
  EXPECT_TRUE(parser.feed("data: short\n\n", events).ok());
  base::Status status = parser.feed("data: " + std::string(100, 'x'), events);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("64"), std::string::npos);
  EXPECT_EQ(events, std::vector<std::string>{"short"});
}

}  // namespace
}  // namespace fovea::bench
