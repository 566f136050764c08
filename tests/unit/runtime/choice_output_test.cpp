// ChoiceOutput: stop strings found across token boundaries, the text before them streamed and nothing after,
// include_stop_str_in_output, and text held back only as long as a stop string could still start in it.
#include "engine/runtime/choice_output.h"

#include <gtest/gtest.h>

namespace fovea::engine {
namespace {

const std::string kTokenizer =
    std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/checkpoints/qwen3-tiny/tokenizer.json";

struct Streamed {
  std::string text;
  std::optional<std::string> stop;
  size_t num_tokens_used = 0;
};

Streamed stream(const text::Tokenizer& tokenizer, const SamplingParams& params, const std::vector<int32_t>& ids) {
  ChoiceOutput output(tokenizer, params);
  Streamed out;
  for (int32_t id : ids) {
    ++out.num_tokens_used;
    out.stop = output.add_token(id, true, out.text);
    if (out.stop) break;
  }
  output.finish(out.text);
  return out;
}

TEST(ChoiceOutput, StopStringsAcrossTokens) {
  auto tokenizer = text::Tokenizer::load_file(kTokenizer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  const std::string sentence = "the cat sat on the mat today";
  auto ids = (*tokenizer)->encode(sentence, false);
  ASSERT_TRUE(ids.ok());

  SamplingParams none;
  EXPECT_EQ(stream(**tokenizer, none, *ids).text, sentence);

  SamplingParams params;
  params.stop = {"on the m", "zzz"};
  Streamed got = stream(**tokenizer, params, *ids);
  EXPECT_EQ(got.text, "the cat sat ");
  EXPECT_EQ(got.stop, "on the m");
  EXPECT_LT(got.num_tokens_used, ids->size());

  params.include_stop_str_in_output = true;
  EXPECT_EQ(stream(**tokenizer, params, *ids).text, "the cat sat on the m");

  SamplingParams earliest;
  earliest.stop = {"mat", "cat"};
  Streamed first = stream(**tokenizer, earliest, *ids);
  EXPECT_EQ(first.text, "the ");
  EXPECT_EQ(first.stop, "cat");
}

TEST(ChoiceOutput, HoldsBackOnlyWhatCouldStartAStopString) {
  auto tokenizer = text::Tokenizer::load_file(kTokenizer);
  ASSERT_TRUE(tokenizer.ok());
  auto ids = (*tokenizer)->encode("abcdefgh", false);
  ASSERT_TRUE(ids.ok());
  SamplingParams params;
  params.stop = {"XYZ"};
  ChoiceOutput output(**tokenizer, params);
  std::string text;
  for (int32_t id : *ids) EXPECT_FALSE(output.add_token(id, true, text));
  EXPECT_EQ(text, "abcdef");  // two bytes held: they could start "XYZ"
  output.finish(text);
  EXPECT_EQ(text, "abcdefgh");
}

}  // namespace
}  // namespace fovea::engine
