// The pieces of the output pipeline: stop-string search and hold-back, the reasoning split under every chunking,
// the hermes parser's streaming deltas, and Python-style JSON against real json.dumps output.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/output/hermes_tool_parser.h"
#include "engine/output/output_processor.h"
#include "engine/output/python_json.h"
#include "engine/output/reasoning_parser.h"
#include "engine/output/stop_string_matcher.h"

namespace fovea::engine {
namespace {

TEST(StopStringMatcher, FindsOnlyMatchesThatReachTheNewText) {
  std::vector<std::string> stops = {"cd", "ab"};
  // "ab" lies entirely in the old text: not found again.
  EXPECT_FALSE(find_stop_string("abxy", 2, stops, false).has_value());
  auto match = find_stop_string("xabc", 1, std::vector<std::string>{"bc"}, false);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->truncate_bytes, 2u);
  match = find_stop_string("xabc", 1, std::vector<std::string>{"bc"}, true);
  EXPECT_EQ(match->truncate_bytes, 4u);
  // The first stop string of the list wins, not the earliest position.
  match = find_stop_string("abcd", 4, stops, false);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->stop_idx, 0u);
  EXPECT_EQ(match->truncate_bytes, 2u);
  EXPECT_FALSE(find_stop_string("abcd", 0, stops, false).has_value());
}

TEST(StopStringMatcher, HoldsBackTheLongestPossibleStart) {
  std::vector<std::string> stops = {"STOP", "ST!"};
  EXPECT_EQ(partial_stop_suffix_bytes("hello S", stops), 1u);
  EXPECT_EQ(partial_stop_suffix_bytes("hello STO", stops), 3u);
  EXPECT_EQ(partial_stop_suffix_bytes("hello", stops), 0u);
  EXPECT_EQ(partial_stop_suffix_bytes("ST", stops), 2u);
  EXPECT_EQ(partial_stop_suffix_bytes("", stops), 0u);
}

ReasoningSplitter::Split feed(ReasoningSplitter parser, const std::string& text, std::mt19937& gen) {
  ReasoningSplitter::Split all;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t size = std::min<size_t>(text.size() - pos, std::uniform_int_distribution<size_t>(1, 4)(gen));
    ReasoningSplitter::Split part = parser.push(std::string_view(text).substr(pos, size));
    all.reasoning += part.reasoning;
    all.content += part.content;
    pos += size;
  }
  ReasoningSplitter::Split rest = parser.finish();
  all.reasoning += rest.reasoning;
  all.content += rest.content;
  return all;
}

TEST(ReasoningSplitter, SplitDoesNotDependOnChunking) {
  std::mt19937 gen(5);
  const std::vector<std::string> texts = {"<think>abc</think>def",
                                          "abc</think>def</think>x",
                                          "<thi",
                                          "</thin",
                                          "a<think>b<think>c</think>",
                                          "</think>",
                                          "plain",
                                          "x</thinkk>y</think>"};
  for (const std::string& text : texts) {
    for (bool starts_in_reasoning : {true, false}) {
      ReasoningSplitter whole(starts_in_reasoning);
      ReasoningSplitter::Split expected = whole.push(text);
      ReasoningSplitter::Split rest = whole.finish();
      expected.reasoning += rest.reasoning;
      expected.content += rest.content;
      for (int trial = 0; trial < 20; ++trial) {
        ReasoningSplitter::Split got = feed(ReasoningSplitter(starts_in_reasoning), text, gen);
        EXPECT_EQ(got.reasoning, expected.reasoning) << text;
        EXPECT_EQ(got.content, expected.content) << text;
      }
    }
  }
  ReasoningSplitter parser(true);
  ReasoningSplitter::Split split = parser.push("a<think>b</think>c<think>d");
  EXPECT_EQ(split.reasoning, "ab");
  EXPECT_EQ(split.content, "c<think>d");
}

TEST(ReasoningSplitter, StartFollowsThePromptsLastThinkTag) {
  std::vector<int32_t> opened = {1, 10, 2};
  std::vector<int32_t> closed = {10, 3, 11, 4};
  std::vector<int32_t> none = {1, 2};
  EXPECT_TRUE(output_starts_in_reasoning(ReasoningParserKind::kQwen3, opened, 10, 11, true));
  EXPECT_FALSE(output_starts_in_reasoning(ReasoningParserKind::kQwen3, closed, 10, 11, true));
  EXPECT_TRUE(output_starts_in_reasoning(ReasoningParserKind::kQwen3, none, 10, 11, true));
  EXPECT_FALSE(output_starts_in_reasoning(ReasoningParserKind::kQwen3, none, 10, 11, false));
  EXPECT_TRUE(output_starts_in_reasoning(ReasoningParserKind::kDeepSeekR1, none, 10, 11, false));
  EXPECT_FALSE(output_starts_in_reasoning(ReasoningParserKind::kNone, opened, 10, 11, true));
  EXPECT_FALSE(parse_reasoning_parser_name("qwen2").ok());
}

TEST(HermesToolParser, StreamsNameThenArgumentsLikeVllm) {
  HermesToolParser parser;
  std::vector<HermesToolParser::Delta> deltas;
  const std::vector<std::string> pieces = {"Sure",
                                           ". <tool",
                                           "_call>\n{\"na",
                                           "me\": \"get",
                                           "\", \"arguments\": {\"a\"",
                                           ": [1, {\"b\": \"}\"}]",
                                           "}}\n</tool_call>"};
  for (const std::string& piece : pieces) deltas.push_back(parser.push(piece, false));
  deltas.push_back(parser.push("", true));
  std::string content, arguments, name;
  int num_name_deltas = 0;
  for (const auto& delta : deltas) {
    content += delta.content;
    for (const ToolCallChunk& call : delta.tool_calls) {
      EXPECT_EQ(call.index, 0);
      if (!call.name.empty()) {
        ++num_name_deltas;
        name = call.name;
        EXPECT_FALSE(call.id.empty());
      }
      arguments += call.arguments;
    }
  }
  EXPECT_EQ(deltas[1].content, ". ");  // "<tool" is held back as a possible tag
  EXPECT_EQ(content, "Sure. ");
  EXPECT_EQ(num_name_deltas, 1);
  EXPECT_EQ(name, "get");
  EXPECT_EQ(arguments, "{\"a\": [1, {\"b\": \"}\"}]}");  // the model's own text, cut where the braces balance
  EXPECT_TRUE(parser.tools_called());
}

TEST(HermesToolParser, UnnamedCallsBecomeContentAtTheEnd) {
  HermesToolParser parser;
  std::string content = parser.push("Hi <tool_call>{oops", false).content;
  EXPECT_EQ(content, "Hi ");
  content += parser.push(" still</tool_call>", true).content;
  EXPECT_EQ(content, "Hi <tool_call>{oops still</tool_call>");
  EXPECT_FALSE(parser.tools_called());
}

TEST(HermesToolParser, ExtractRequiresObjectsWithNameAndArguments) {
  EXPECT_FALSE(HermesToolParser::extract("<tool_call>[1]</tool_call>").tools_called);
  EXPECT_FALSE(HermesToolParser::extract("<tool_call>{\"name\": 3, \"arguments\": {}}</tool_call>").tools_called);
  EXPECT_FALSE(HermesToolParser::extract("<tool_call></tool_call>").tools_called);
  ExtractedToolCalls calls =
      HermesToolParser::extract("<tool_call>{\"name\": \"f\", \"arguments\": \"s\"}</tool_call> after");
  ASSERT_TRUE(calls.tools_called);
  EXPECT_EQ(calls.tool_calls[0].arguments, "\"s\"");
  EXPECT_EQ(calls.content, "");
  EXPECT_FALSE(parse_tool_parser_name("mistral").ok());
}

TEST(PythonJson, MatchesPythonsJsonDumps) {
  std::ifstream in(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/output/data/python_json_cases.json");
  ASSERT_TRUE(in.good());
  nlohmann::json cases = nlohmann::json::parse(in);
  ASSERT_GE(cases.size(), 8u);
  for (const auto& pair : cases) {
    std::string text = pair[0].get<std::string>();
    nlohmann::ordered_json value = nlohmann::ordered_json::parse(text);
    EXPECT_EQ(python_json_dumps(value), pair[1].get<std::string>()) << text;
  }
}

}  // namespace
}  // namespace fovea::engine
