// Streaming decode: a character split over byte tokens comes out whole once complete, bytes that can never be
// valid come out as U+FFFD at once, and the pieces always add up to the whole decode.
#include "text/incremental_detokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "text/tokenizer.h"
#include "text/utf8.h"
#include "tiny_tokenizer.h"

namespace fovea::text {
namespace {

std::unique_ptr<Tokenizer> tiny() {
  auto tokenizer = Tokenizer::from_json(testing::tiny_tokenizer_json().dump());
  EXPECT_TRUE(tokenizer.ok());
  return std::move(tokenizer).value();
}

TEST(IncrementalDetokenizerTest, HoldsBackAPartialCharacter) {
  auto tokenizer = tiny();
  IncrementalDetokenizer stream = tokenizer->incremental_detokenizer(false);
  // U+1F600 is F0 9F 98 80; the tiny vocabulary has one token per byte, with id = byte.
  EXPECT_EQ(*stream.step('a'), "a");
  EXPECT_EQ(*stream.step(0xF0), "");
  EXPECT_EQ(*stream.step(0x9F), "");
  EXPECT_EQ(*stream.step(0x98), "");
  EXPECT_EQ(stream.num_pending_bytes(), 3u);
  EXPECT_EQ(*stream.step(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.finish(), "");
}

TEST(IncrementalDetokenizerTest, InvalidBytesAreReplacedAtOnceAndTailsAtFinish) {
  auto tokenizer = tiny();
  IncrementalDetokenizer stream = tokenizer->incremental_detokenizer(false);
  EXPECT_EQ(*stream.step(0x80), "\xEF\xBF\xBD");  // a lone continuation byte can never become valid
  EXPECT_EQ(*stream.step(0xE4), "");
  EXPECT_EQ(*stream.step('x'),
            "\xEF\xBF\xBD"
            "x");  // E4 followed by x: broken, then x
  EXPECT_EQ(*stream.step(0xE4), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");  // an unfinished character at the end
  EXPECT_FALSE(stream.step(100000).ok());
}

TEST(IncrementalDetokenizerTest, PiecesAddUpToTheWholeDecode) {
  auto tokenizer = tiny();
  std::mt19937 rng(3);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<int32_t> ids(rng() % 12);
    for (int32_t& id : ids) id = static_cast<int32_t>(rng() % static_cast<unsigned>(tokenizer->id_limit()));
    for (bool skip : {false, true}) {
      IncrementalDetokenizer stream = tokenizer->incremental_detokenizer(skip);
      std::string streamed;
      for (int32_t id : ids) {
        auto piece = stream.step(id);
        ASSERT_TRUE(piece.ok());
        ASSERT_EQ(find_invalid_utf8(*piece), kNoInvalidByte);
        streamed += *piece;
      }
      streamed += stream.finish();
      EXPECT_EQ(streamed, *tokenizer->decode(ids, skip));
    }
  }
}

}  // namespace
}  // namespace fovea::text
