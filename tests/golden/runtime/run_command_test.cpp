// `fovea run` as a binary on the tiny checkpoints: a text prompt and an image prompt with --json print one JSON line
// whose prompt_tokens and greedy token_ids equal HF's (tests/golden/model/data cases), and a bad image is a clean
// error without its path.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/";
constexpr double kMarginFloor = 1e-3;

struct Output {
  int exit_code = -1;
  std::string stdout_text;
};

Output run(const std::string& args) {
  Output out;
  const std::string command = std::string(FOVEA_BINARY) + " run " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer{};
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.stdout_text.append(buffer.data(), count);
  const int status = pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

json find_case(const std::string& checkpoint, const std::string& name) {
  std::ifstream in(kDataDir + "cases/" + checkpoint + "/cases.json");
  const json file = json::parse(in);
  for (const json& c : file["cases"]) {
    if (c["name"] == name) return c;
  }
  return {};
}

void expect_greedy(const json& result, const json& c) {
  EXPECT_EQ(result["prompt_tokens"].get<size_t>(), c["prompt_ids"].size());
  const auto tokens = result["token_ids"].get<std::vector<int32_t>>();
  const auto expected = c["greedy_f32"].get<std::vector<int32_t>>();
  const auto margins = c["greedy_f32_margins"].get<std::vector<double>>();
  ASSERT_EQ(tokens.size(), 8u);
  for (size_t step = 0; step < tokens.size() && margins[step] >= kMarginFloor; ++step) {
    EXPECT_EQ(tokens[step], expected[step]) << "step " << step;
  }
  EXPECT_TRUE(result["text"].is_string());
  EXPECT_TRUE(result["timings"].contains("total_s"));
}

TEST(RunCommand, TextPromptPrintsHfGreedyTokensAsJson) {
  const json c = find_case("qwen3-tiny", "text_only");
  ASSERT_FALSE(c.is_null());
  const Output out = run("--model " + kDataDir + "checkpoints/qwen3-tiny --prompt 'Hello, who are you?' --json "
                         "--kwargs '{\"enable_thinking\": false}' --max-tokens 8 --temperature 0 --ignore-eos --dtype float32 --threads 2");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  ASSERT_EQ(std::count(out.stdout_text.begin(), out.stdout_text.end(), '\n'), 1) << out.stdout_text;
  expect_greedy(json::parse(out.stdout_text), c);
}

TEST(RunCommand, ImagePromptPrintsHfGreedyTokensAsJson) {
  const std::string checkpoint = "qwen3-vl-tiny-untied-legacy";
  const json c = find_case(checkpoint, "one_image");
  ASSERT_FALSE(c.is_null());
  const std::string image = kDataDir + "cases/" + checkpoint + "/" + c["images"][0]["resized"].get<std::string>();
  const Output out = run("--model " + kDataDir + "checkpoints/" + checkpoint + " --prompt 'Describe this image.' " +
                         "--image " + image + " --json --max-tokens 8 --temperature 0 --ignore-eos --dtype float32 " +
                         "--threads 2");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  expect_greedy(json::parse(out.stdout_text), c);
}

TEST(RunCommand, DummyWeightsAndMaxModelLenAutoRun) {
  const std::string args = "--model " + kDataDir + "checkpoints/qwen3-tiny --prompt 'Hello' --json --max-tokens 4 " +
                           "--temperature 0 --ignore-eos --dtype float32 --threads 2 --max-model-len auto";
  const Output real = run(args);
  ASSERT_EQ(real.exit_code, 0) << real.stdout_text;
  const Output dummy = run(args + " --load-format dummy --seed 4");
  ASSERT_EQ(dummy.exit_code, 0) << dummy.stdout_text;
  const auto dummy_tokens = json::parse(dummy.stdout_text)["token_ids"];
  EXPECT_EQ(dummy_tokens.size(), 4u);
  EXPECT_NE(dummy_tokens, json::parse(real.stdout_text)["token_ids"]);
}

TEST(RunCommand, MissingImageIsAnErrorWithoutItsPath) {
  const std::string command = std::string(FOVEA_BINARY) + " run --model " + kDataDir +
                              "checkpoints/qwen3-vl-tiny-untied-legacy --prompt hi --image /nonexistent/secret.png " +
                              "2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  std::array<char, 4096> buffer{};
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), count);
  const int status = pclose(pipe);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(text.find("fovea: error: image 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("secret"), std::string::npos) << text;
}

}  // namespace
