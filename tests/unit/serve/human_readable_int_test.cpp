// vLLM's human-readable integers (examples from vLLM's own docstring) and the closest-match rule.
// The integer cases are the examples of vLLM's human_readable_int docstring.
#include "serve/human_readable_int.h"

#include <gtest/gtest.h>

#include "serve/closest_match.h"

namespace fovea::serve {
namespace {

TEST(HumanReadableIntTest, VllmForms) {
  EXPECT_EQ(*parse_human_readable_int("1k"), 1000);
  EXPECT_EQ(*parse_human_readable_int("1K"), 1024);
  EXPECT_EQ(*parse_human_readable_int("25.6k"), 25600);
  EXPECT_EQ(*parse_human_readable_int("2g"), 2000000000);
  EXPECT_EQ(*parse_human_readable_int("3G"), int64_t{3} << 30);
  EXPECT_EQ(*parse_human_readable_int("1T"), int64_t{1} << 40);
  EXPECT_EQ(*parse_human_readable_int(" 42 "), 42);
  EXPECT_EQ(*parse_human_readable_int("-7"), -7);
  EXPECT_EQ(*parse_human_readable_int("2.3k"), 2300);
}

TEST(HumanReadableIntTest, Errors) {
  EXPECT_NE(parse_human_readable_int("1.5K").status().message().find("did you mean 1.5k?"), std::string::npos);
  EXPECT_FALSE(parse_human_readable_int("").ok());
  EXPECT_FALSE(parse_human_readable_int("k").ok());
  EXPECT_FALSE(parse_human_readable_int("1kk").ok());
  EXPECT_FALSE(parse_human_readable_int("1e5").ok());
  EXPECT_FALSE(parse_human_readable_int("99999999999999999999").ok());
  EXPECT_FALSE(parse_human_readable_int("99999999999t").ok());
  EXPECT_FALSE(parse_human_readable_int("9999999999999999999999999999999999999999999999K").ok());
}

TEST(ClosestMatchTest, Rule) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("prot", "port"), 1u);
  const std::vector<std::string_view> names = {"max-model-len", "max-num-seqs", "port"};
  EXPECT_EQ(closest_match("max-model-length", names), "max-model-len");
  EXPECT_EQ(closest_match("prot", names), "port");
  EXPECT_EQ(closest_match("max-num-seq", names), "max-num-seqs");
  EXPECT_FALSE(closest_match("completely-different", names).has_value());
  EXPECT_FALSE(closest_match("fp16", {"fp8"}).has_value());
  EXPECT_EQ(closest_match("awk", {"awq", "gptq"}), "awq");
}

}  // namespace
}  // namespace fovea::serve
