// Demo model golden: the committed models/fovea-demo-vl through the whole engine (template, tokenizer, PNG decode,
// vision tower, decoder, greedy sampling) gives HF transformers' prompt ids, greedy tokens and answer text for the
// held-out scenes of tests/golden/demo/data (tools/demo_model/make_demo_golden.py). Must not score the answers
// against the scenes' truth: that is tools/demo_model/evaluate.py's job.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"

namespace fovea::engine {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const std::string kModelDir = std::string(FOVEA_SOURCE_DIR) + "/models/fovea-demo-vl";
const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/demo/data/";
constexpr double kMarginFloor = 1e-3;  // a reference step whose top-2 margin is below this is a tie: stop there
constexpr int64_t kMaxTokens = 24;     // make_demo_golden.py's MAX_NEW_TOKENS
constexpr auto kTimeout = std::chrono::seconds(60);

struct Case {
  std::string name;
  ordered_json messages;  // image parts as file:// URLs of the case's PNGs
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> greedy;       // all of HF's tokens, <|im_end|> included when it stopped there
  std::vector<int32_t> before_tie;   // the tokens before the first tie
  std::string answer;
};

std::vector<Case> read_cases() {
  std::ifstream in(kDataDir + "cases.json");
  const json file = json::parse(in);
  std::vector<Case> cases;
  for (const json& c : file["cases"]) {
    Case out;
    out.name = c["name"];
    out.messages = ordered_json::parse(c["messages"].dump());
    for (ordered_json& message : out.messages) {
      for (ordered_json& part : message["content"]) {
        if (!part.contains("image")) continue;
        const std::string url = "file://" + kDataDir + "images/" + part["image"].get<std::string>();
        part = ordered_json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
      }
    }
    out.prompt_ids = c["prompt_ids"].get<std::vector<int32_t>>();
    out.greedy = c["greedy"].get<std::vector<int32_t>>();
    const auto margins = c["margins"].get<std::vector<double>>();
    for (size_t step = 0; step < out.greedy.size() && margins[step] >= kMarginFloor; ++step) {
      out.before_tie.push_back(out.greedy[step]);
    }
    out.answer = c["answer"];
    cases.push_back(std::move(out));
  }
  return cases;
}

struct Answer {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> tokens;
  std::string text;
  bool finished = false;
};

Answer collect(RequestStream& stream) {
  Answer out;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto update = stream.next(std::chrono::milliseconds(100));
    if (!update) continue;
    if (!update->prompt_token_ids.empty()) out.prompt_ids = update->prompt_token_ids;
    for (const ChoiceUpdate& choice : update->choices) {
      out.tokens.insert(out.tokens.end(), choice.token_ids.begin(), choice.token_ids.end());
      out.text += choice.content_delta;
    }
    if (update->finished) {
      out.finished = true;
      return out;
    }
  }
  return out;
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \n") - first + 1);
}

TEST(DemoModelGolden, AnswersEqualHfGreedy) {
  const std::vector<Case> cases = read_cases();
  ASSERT_GE(cases.size(), 20u);
  EngineConfig config;
  config.model_dir = kModelDir;  // dtype auto: the folder's float32 activations, as make_demo_golden.py ran HF
  config.max_model_len = 512;
  config.max_num_seqs = 8;
  config.num_threads = 2;
  config.media.allowed_local_media_path = kDataDir;
  auto engine = Engine::start(config);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  std::vector<std::unique_ptr<RequestStream>> streams;
  for (const Case& c : cases) {
    GenerateRequest request;
    request.request_id = c.name;
    request.prompt.chat.emplace();
    request.prompt.chat->messages = c.messages;
    request.sampling.temperature = 0.0;
    request.sampling.max_tokens = kMaxTokens;
    request.output.return_token_ids = true;
    auto stream = (*engine)->submit(std::move(request));
    ASSERT_TRUE(stream.ok()) << c.name << ": " << stream.status().to_string();
    streams.push_back(std::move(stream).value());
  }
  for (size_t idx = 0; idx < cases.size(); ++idx) {
    const Case& c = cases[idx];
    const Answer got = collect(*streams[idx]);
    ASSERT_TRUE(got.finished) << c.name << ": the request did not finish in time";
    EXPECT_EQ(got.prompt_ids, c.prompt_ids) << c.name << ": render + tokenize + placeholders differ from HF";
    const std::vector<int32_t> head(got.tokens.begin(),
                                    got.tokens.begin() + static_cast<std::ptrdiff_t>(
                                                             std::min(got.tokens.size(), c.before_tie.size())));
    EXPECT_EQ(head, c.before_tie) << c.name << ": greedy tokens differ from HF";
    if (c.before_tie.size() == c.greedy.size()) {
      EXPECT_EQ(got.tokens, c.greedy) << c.name;
      EXPECT_EQ(trimmed(got.text), c.answer) << c.name;
    }
  }
}

}  // namespace
}  // namespace fovea::engine
