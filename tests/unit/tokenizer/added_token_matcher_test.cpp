// Added-token matching: leftmost-longest, the segments tile the text, and the flags widen or drop matches the way
// the reference's find_matches does (the golden tests compare whole encodings with Hugging Face).
#include "text/added_token_matcher.h"

#include <gtest/gtest.h>

#include <string>

namespace fovea::text {
namespace {

using Segment = AddedTokenMatcher::Segment;

AddedToken token(int32_t id, std::string content) {
  AddedToken t;
  t.id = id;
  t.content = std::move(content);
  t.normalized = false;
  return t;
}

std::vector<Segment> split(const AddedTokenMatcher& matcher, const std::string& text) {
  std::vector<Segment> segments;
  matcher.split(text, segments);
  return segments;
}

std::vector<std::pair<std::string, int32_t>> pieces(const AddedTokenMatcher& matcher, const std::string& text) {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const Segment& s : split(matcher, text)) out.emplace_back(text.substr(s.offset, s.num_bytes), s.token_id);
  return out;
}

TEST(AddedTokenMatcherTest, LeftmostLongestAndTiling) {
  AddedTokenMatcher matcher({token(1, "<a"), token(2, "<ab>"), token(3, "b>")});
  using P = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(pieces(matcher, "x<ab>y"), (P{{"x", -1}, {"<ab>", 2}, {"y", -1}}));
  EXPECT_EQ(pieces(matcher, "<ab"), (P{{"<a", 1}, {"b", -1}}));
  EXPECT_EQ(pieces(matcher, "<<ab>b>"), (P{{"<", -1}, {"<ab>", 2}, {"b>", 3}}));
  EXPECT_TRUE(split(matcher, "").empty());
  EXPECT_EQ(pieces(matcher, "plain"), (P{{"plain", -1}}));
}

TEST(AddedTokenMatcherTest, StripFlagsSwallowWhitespace) {
  AddedToken left = token(1, "<L>");
  left.lstrip = true;
  AddedToken right = token(2, "<R>");
  right.rstrip = true;
  AddedTokenMatcher matcher({left, right});
  using P = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(pieces(matcher, "a \t<L> b"), (P{{"a", -1}, {" \t<L>", 1}, {" b", -1}}));
  EXPECT_EQ(pieces(matcher, "a <R>\xE3\x80\x80 b"), (P{{"a ", -1}, {"<R>\xE3\x80\x80 ", 2}, {"b", -1}}));
  // Whitespace already swallowed by a previous match stays with it.
  EXPECT_EQ(pieces(matcher, "<R>  <L>"), (P{{"<R>  ", 2}, {"<L>", 1}}));
}

TEST(AddedTokenMatcherTest, SingleWordNeedsWordBoundaries) {
  AddedToken cat = token(1, "cat");
  cat.single_word = true;
  AddedTokenMatcher matcher({cat});
  using P = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(pieces(matcher, "cat"), (P{{"cat", 1}}));
  EXPECT_EQ(pieces(matcher, "a cat."), (P{{"a ", -1}, {"cat", 1}, {".", -1}}));
  EXPECT_EQ(pieces(matcher, "cats"), (P{{"cats", -1}}));
  EXPECT_EQ(pieces(matcher, "_cat"), (P{{"_cat", -1}}));
  EXPECT_EQ(pieces(matcher,
                   "\xC3\xA9"
                   "cat"),
            (P{{"\xC3\xA9"
                "cat",
                -1}}));
}

}  // namespace
}  // namespace fovea::text
