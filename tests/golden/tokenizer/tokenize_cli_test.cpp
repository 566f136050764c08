// `fovea tokenize` end to end: the built binary reads stdin with a model folder holding the real tokenizer.json
// and must print the reference's ids (and, with --decode, the reference's text) for a few golden cases.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "golden_cases.h"

namespace fovea::text {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TokenizeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/fovea_tokenize_cli_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::filesystem::create_symlink(golden::shared_tokenizer_path(), dir_ / "tokenizer.json");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs fovea with `args`, `input` on stdin.
  RunResult run(const std::string& args, const std::string& input) {
    std::filesystem::path in_path = dir_ / "stdin";
    std::filesystem::path out_path = dir_ / "stdout";
    std::filesystem::path err_path = dir_ / "stderr";
    FILE* in = std::fopen(in_path.c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), in);
    std::fclose(in);
    std::string command = std::string(FOVEA_CLI_BINARY) + " tokenize --model " + dir_.string() + " " + args + " < " +
                          in_path.string() + " > " + out_path.string() + " 2> " + err_path.string();
    int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = golden::read_text_file(out_path);
    result.err = golden::read_text_file(err_path);
    return result;
  }

  std::filesystem::path dir_;
};

// Three varied cases: special tokens (so the decode modes differ), emoji, and text that NFC changes.
std::vector<golden::EncodeCase> sample_cases() {
  std::vector<golden::EncodeCase> all = golden::load_encode_cases("qwen3_encode.jsonl");
  auto first = [&](auto&& wanted) {
    for (const golden::EncodeCase& c : all) {
      if (c.text.size() < 400 && c.text.find('\0') == std::string::npos && wanted(c)) return c;
    }
    return golden::EncodeCase{};
  };
  return {first([](const auto& c) { return c.decoded != c.decoded_skip; }),
          first([](const auto& c) { return c.text.find("\xF0\x9F") != std::string::npos; }),
          first([](const auto& c) { return c.decoded != c.text; })};
}

TEST_F(TokenizeCliTest, EncodePrintsReferenceIds) {
  std::vector<golden::EncodeCase> cases = sample_cases();
  for (const golden::EncodeCase& c : cases) {
    ASSERT_FALSE(c.ids.empty()) << "the fixture lacks a sample case";
    RunResult result = run("", c.text);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(nlohmann::json::parse(result.out).get<std::vector<int32_t>>(), c.ids);
  }
  RunResult with_special = run("--add-special-tokens", cases[0].text);
  ASSERT_EQ(with_special.exit_code, 0) << with_special.err;
  EXPECT_EQ(nlohmann::json::parse(with_special.out).get<std::vector<int32_t>>(), cases[0].ids_with_special);
}

TEST_F(TokenizeCliTest, DecodePrintsReferenceText) {
  std::vector<golden::EncodeCase> cases = sample_cases();
  // The first sample holds special tokens, so the two modes differ.
  const golden::EncodeCase& c = cases[0];
  RunResult result = run("--decode", nlohmann::json(c.ids).dump());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, c.decoded);
  RunResult skipped = run("--decode --skip-special-tokens", nlohmann::json(c.ids).dump());
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(skipped.out, c.decoded_skip);
  EXPECT_NE(c.decoded, c.decoded_skip);
}

TEST_F(TokenizeCliTest, BadInputIsAOneLineError) {
  for (const std::string& input : {std::string("[1, 999999999]"), std::string("[1, -2")}) {
    RunResult result = run("--decode", input);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.err.rfind("fovea: error: ", 0), 0u) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

}  // namespace
}  // namespace fovea::text
