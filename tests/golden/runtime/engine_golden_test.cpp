// Engine goldens: the tiny checkpoints' cases (tests/golden/model/data, HF transformers) through the whole engine:
// chat template + tokenizer + image pipeline give HF's prompt ids, greedy generation gives HF's greedy tokens (up to
// the first step whose reference top-2 margin is a tie), one at a time and all submitted together with a small
// token budget (chunked prefill, batched decode); an aborted stream frees its blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/runtime/engine.h"
#include "engine/runtime/input_processor.h"
#include "io/model_config.h"

namespace fovea::engine {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/";
constexpr double kMarginFloor = 1e-3;  // a step whose reference top-2 margin is below this is a tie: stop there
constexpr auto kTimeout = std::chrono::seconds(60);

struct Case {
  std::string name;
  ordered_json messages;  // images pointing at the case's resized PNGs (HF's pixels)
  ordered_json kwargs;    // chat template kwargs the generator used
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> greedy;  // the tokens before the first tie
};

std::vector<Case> read_cases(const std::string& checkpoint) {
  std::ifstream in(kDataDir + "cases/" + checkpoint + "/cases.json");
  const json file = json::parse(in);
  std::vector<Case> cases;
  for (const json& c : file["cases"]) {
    Case out;
    out.name = c["name"];
    out.messages = ordered_json::parse(c["messages"].dump());
    // The resized PNG has the size HF's processor chose, so fovea's resize is the identity and the pixels are HF's.
    size_t image_idx = 0;
    for (ordered_json& message : out.messages) {
      if (!message["content"].is_array()) continue;
      for (ordered_json& part : message["content"]) {
        if (!part.contains("image")) continue;
        const std::string resized = c["images"][image_idx++]["resized"];
        part = ordered_json{{"type", "image_url"},
                            {"image_url", {{"url", "file://" + kDataDir + "cases/" + checkpoint + "/" + resized}}}};
      }
    }
    // The generator renders the text checkpoints with enable_thinking=False (make_tiny_checkpoints.py): the empty
    // think block at the end of the prompt says so.
    const std::string rendered = c["rendered_prompt"];
    const std::string empty_think = "<think>\n\n</think>\n\n";
    if (rendered.size() >= empty_think.size() && rendered.ends_with(empty_think)) {
      out.kwargs = ordered_json{{"enable_thinking", false}};
    }
    out.prompt_ids = c["prompt_ids"].get<std::vector<int32_t>>();
    const auto tokens = c["greedy_f32"].get<std::vector<int32_t>>();
    const auto margins = c["greedy_f32_margins"].get<std::vector<double>>();
    for (size_t step = 0; step < tokens.size() && margins[step] >= kMarginFloor; ++step) out.greedy.push_back(tokens[step]);
    cases.push_back(std::move(out));
  }
  return cases;
}

EngineConfig engine_config(const std::string& checkpoint, int64_t max_num_batched_tokens) {
  EngineConfig config;
  config.model_dir = kDataDir + "checkpoints/" + checkpoint;
  config.dtype = "float32";
  config.max_model_len = 512;
  config.max_num_batched_tokens = max_num_batched_tokens;
  config.max_num_seqs = 16;
  config.num_threads = 2;
  config.media.allowed_local_media_path = kDataDir;
  return config;
}

GenerateRequest greedy_request(const std::string& request_id, const Case& c, int64_t max_tokens) {
  GenerateRequest request;
  request.request_id = request_id;
  request.prompt.chat.emplace();
  request.prompt.chat->messages = c.messages;
  request.prompt.chat->extra_kwargs = c.kwargs;
  request.sampling.temperature = 0.0;
  request.sampling.max_tokens = max_tokens;
  request.sampling.ignore_eos = true;
  request.output.return_token_ids = true;
  return request;
}

struct Collected {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> tokens;
  RequestUpdate last;
};

Collected collect(RequestStream& stream) {
  Collected out;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto update = stream.next(std::chrono::milliseconds(100));
    if (!update) continue;
    if (!update->prompt_token_ids.empty()) out.prompt_ids = update->prompt_token_ids;
    for (const ChoiceUpdate& choice : update->choices) {
      out.tokens.insert(out.tokens.end(), choice.token_ids.begin(), choice.token_ids.end());
    }
    if (update->finished) {
      out.last = std::move(*update);
      return out;
    }
  }
  ADD_FAILURE() << "the request did not finish in time";
  return out;
}

// The stats snapshot is taken after each step, so it may lag the last update a stream saw.
EngineStats wait_until_idle(const Engine& engine) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  EngineStats stats = engine.stats();
  while ((stats.num_running + stats.num_waiting > 0 || stats.kv_cache_usage > 0.0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    stats = engine.stats();
  }
  return stats;
}

std::vector<int32_t> prefix(const std::vector<int32_t>& tokens, size_t count) {
  return {tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(std::min(count, tokens.size()))};
}

class EngineGolden : public testing::TestWithParam<std::string> {};

TEST_P(EngineGolden, GreedyTokensEqualHfOneAtATimeAndTogether) {
  const std::string checkpoint = GetParam();
  const std::vector<Case> cases = read_cases(checkpoint);
  ASSERT_FALSE(cases.empty());
  constexpr int64_t kMaxTokens = 16;

  // One at a time, with a budget that fits every prompt in one step.
  std::vector<std::vector<int32_t>> alone;
  {
    auto engine = Engine::start(engine_config(checkpoint, 512));
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    for (const Case& c : cases) {
      auto stream = (*engine)->submit(greedy_request(c.name, c, kMaxTokens));
      ASSERT_TRUE(stream.ok()) << c.name << ": " << stream.status().to_string();
      Collected got = collect(**stream);
      EXPECT_EQ(got.prompt_ids, c.prompt_ids) << c.name << ": render + tokenize + placeholders differ from HF";
      EXPECT_EQ(got.last.usage.prompt_tokens, static_cast<int64_t>(c.prompt_ids.size())) << c.name;
      ASSERT_EQ(got.tokens.size(), static_cast<size_t>(kMaxTokens)) << c.name;
      EXPECT_EQ(prefix(got.tokens, c.greedy.size()), c.greedy) << c.name << ": greedy tokens differ from HF";
      ASSERT_EQ(got.last.choices.size(), 1u);
      EXPECT_EQ(got.last.choices[0].finish, FinishKind::kLength) << c.name;
      alone.push_back(got.tokens);
    }
    const EngineStats stats = wait_until_idle(**engine);
    EXPECT_EQ(stats.num_running, 0);
    EXPECT_EQ(stats.kv_cache_usage, 0.0);
    EXPECT_EQ(stats.generation_tokens_total, kMaxTokens * static_cast<int64_t>(cases.size()));
  }

  // All together, 24 tokens a step: prompts are chunked, images split across chunks, decodes batched with prefills.
  auto engine = Engine::start(engine_config(checkpoint, 24));
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  std::vector<std::unique_ptr<RequestStream>> streams;
  for (const Case& c : cases) {
    auto stream = (*engine)->submit(greedy_request(c.name, c, kMaxTokens));
    ASSERT_TRUE(stream.ok()) << c.name << ": " << stream.status().to_string();
    streams.push_back(std::move(stream).value());
  }
  for (size_t idx = 0; idx < cases.size(); ++idx) {
    Collected got = collect(*streams[idx]);
    EXPECT_EQ(prefix(got.tokens, cases[idx].greedy.size()), cases[idx].greedy) << cases[idx].name << " (batched)";
    EXPECT_EQ(got.tokens, alone[idx]) << cases[idx].name << ": batched run differs from the run alone";
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, EngineGolden,
                         testing::Values("qwen3-tiny", "qwen3-vl-tiny", "qwen3-vl-tiny-untied-legacy"));

TEST(EngineRuntime, AbortedStreamFreesItsBlocks) {
  const std::vector<Case> cases = read_cases("qwen3-vl-tiny-untied-legacy");
  auto engine = Engine::start(engine_config("qwen3-vl-tiny-untied-legacy", 512));
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto stream = (*engine)->submit(greedy_request("long", cases[1], 400));
  ASSERT_TRUE(stream.ok()) << stream.status().to_string();
  std::optional<RequestUpdate> first;
  while (!first) first = (*stream)->next(std::chrono::milliseconds(100));
  EXPECT_FALSE(first->finished);
  const auto busy_deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((*engine)->stats().kv_cache_usage == 0.0 && std::chrono::steady_clock::now() < busy_deadline) {
    std::this_thread::yield();
  }
  EXPECT_GT((*engine)->stats().kv_cache_usage, 0.0);
  stream->reset();  // the client went away
  const EngineStats stats = wait_until_idle(**engine);
  EXPECT_EQ(stats.num_running, 0);
  EXPECT_EQ(stats.num_waiting, 0);
  EXPECT_EQ(stats.kv_cache_usage, 0.0);
  EXPECT_LT(stats.generation_tokens_total, 400);
}

TEST(EngineRuntime, StopStringsSeedsNAndLogprobs) {
  const std::vector<Case> cases = read_cases("qwen3-tiny");
  auto engine = Engine::start(engine_config("qwen3-tiny", 512));
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const Case& c = cases[0];

  // The greedy text, then a stop string taken from its middle: the answer ends right before it.
  auto full = (*engine)->submit(greedy_request("full", c, 16));
  ASSERT_TRUE(full.ok());
  std::string text;
  Collected got = collect(**full);
  auto decoded = (*engine)->tokenizer().decode(got.tokens, true);
  ASSERT_TRUE(decoded.ok());
  text = *decoded;
  // A stop string that is the text of one of the greedy tokens (printable ASCII, so it cannot split a character);
  // the answer ends right before its first occurrence.
  std::string stop;
  for (size_t step = 4; step < got.tokens.size() && stop.empty(); ++step) {
    auto piece = (*engine)->tokenizer().decode(std::span(&got.tokens[step], 1), true);
    ASSERT_TRUE(piece.ok());
    const bool printable = std::all_of(piece->begin(), piece->end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; }) &&
                           std::any_of(piece->begin(), piece->end(), [](char ch) { return ch != ' '; });
    if (printable) stop = *piece;
  }
  ASSERT_FALSE(stop.empty()) << text;
  GenerateRequest stopped = greedy_request("stopped", c, 16);
  stopped.sampling.stop = {stop};
  auto stream = (*engine)->submit(std::move(stopped));
  ASSERT_TRUE(stream.ok());
  std::string stopped_text;
  Collected stop_got;
  {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto update = (*stream)->next(std::chrono::milliseconds(100));
      if (!update) continue;
      for (const ChoiceUpdate& choice : update->choices) stopped_text += choice.content_delta;
      if (update->finished) {
        stop_got.last = std::move(*update);
        break;
      }
    }
  }
  EXPECT_EQ(stopped_text, text.substr(0, text.find(stop)));
  ASSERT_EQ(stop_got.last.choices.size(), 1u);
  EXPECT_EQ(stop_got.last.choices[0].finish, FinishKind::kStop);
  EXPECT_EQ(stop_got.last.choices[0].stop_string, stop);

  // n = 3 seeded sampling: each choice finishes; the same seed gives the same tokens.
  auto sample = [&](const std::string& id) {
    GenerateRequest request = greedy_request(id, c, 8);
    request.sampling.temperature = 1.0;
    request.sampling.seed = 1234;
    request.sampling.n = 3;
    request.sampling.logprobs = 2;
    auto s = (*engine)->submit(std::move(request));
    EXPECT_TRUE(s.ok());
    std::map<int32_t, std::vector<int32_t>> tokens;
    size_t num_logprobs = 0;
    int num_finished = 0;
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto update = (*s)->next(std::chrono::milliseconds(100));
      if (!update) continue;
      for (const ChoiceUpdate& choice : update->choices) {
        tokens[choice.index].insert(tokens[choice.index].end(), choice.token_ids.begin(), choice.token_ids.end());
        num_logprobs += choice.logprobs.size();
        for (const TokenLogprobEntry& entry : choice.logprobs) {
          EXPECT_EQ(entry.top.size(), 2u);
          EXPECT_LE(entry.logprob, 0.0f);
        }
        if (choice.finish != FinishKind::kNone) ++num_finished;
      }
      if (update->finished) {
        EXPECT_EQ(update->usage.completion_tokens, 24);
        break;
      }
    }
    EXPECT_EQ(num_finished, 3);
    EXPECT_EQ(num_logprobs, 24u);
    return tokens;
  };
  const auto first = sample("seeded-a");
  const auto second = sample("seeded-b");
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 3u);
}

TEST(EngineRuntime, SubmitErrorsAreTheClients) {
  auto engine = Engine::start(engine_config("qwen3-tiny", 512));
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  GenerateRequest image_to_text_model;
  image_to_text_model.request_id = "image";
  image_to_text_model.prompt.chat.emplace();
  image_to_text_model.prompt.chat->messages = ordered_json::parse(
      R"([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
         {"type": "text", "text": "hi"}]}])");
  auto refused = (*engine)->submit(std::move(image_to_text_model));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kInvalidArgument);

  GenerateRequest too_long;
  too_long.request_id = "long";
  too_long.prompt.token_ids = std::vector<int32_t>(600, 5);
  auto long_refused = (*engine)->submit(std::move(too_long));
  ASSERT_FALSE(long_refused.ok());
  EXPECT_EQ(long_refused.status().code(), base::StatusCode::kOutOfRange);  // the server's context_length_exceeded
  EXPECT_NE(long_refused.status().message().find("512"), std::string::npos) << long_refused.status().message();
}

}  // namespace
}  // namespace fovea::engine
