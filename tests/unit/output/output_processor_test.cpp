// The output processor against goldens made by tools/golden/make_output_goldens.py (real Qwen3 tokenizer ids and
// decode, vLLM's non-streaming rules), fed token by token, in chunks and all at once: every way gives the same
// final output, and the concatenated deltas equal it.
#include "engine/output/output_processor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/sampling/sampling_params.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace fovea::engine {
namespace {

const text::Tokenizer& qwen3_tokenizer() {
  static const std::unique_ptr<text::Tokenizer> tokenizer = [] {
    auto loaded =
        text::Tokenizer::load_file(std::string(FOVEA_SOURCE_DIR) + "/tests/data/tokenizers/qwen3/tokenizer.json");
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    return std::move(loaded).value();
  }();
  return *tokenizer;
}

FinishReason engine_finish_of(const std::string& name) {
  if (name == "stop_token") return FinishReason::kStopToken;
  if (name == "length") return FinishReason::kMaxTokens;
  return FinishReason::kNone;
}

struct Streamed {
  std::string text, reasoning, content;
  std::vector<std::string> tool_names;
  std::vector<std::string> tool_arguments;
  std::optional<OutputFinishReason> finish_reason;
  std::optional<std::string> stop_string;
  bool stopped_by_string = false;
  FinalOutput final_output;
};

// Feeds `ids` in chunks of the given sizes (cycled); the engine finish comes with the last chunk.
Streamed run(const nlohmann::json& c, const std::vector<size_t>& chunk_sizes) {
  auto params = std::make_shared<SamplingParams>();
  params->stop = c["stop"].get<std::vector<std::string>>();
  params->include_stop_str_in_output = c["include_stop_str_in_output"].get<bool>();
  params->min_tokens = c["min_tokens"].get<int64_t>();
  params->skip_special_tokens = c["skip_special_tokens"].get<bool>();
  params->eos_token_id = 151645;
  OutputParserOptions options;
  std::string parser = c["reasoning_parser"].get<std::string>();
  if (!parser.empty()) options.reasoning_parser = *parse_reasoning_parser_name(parser);
  options.enable_thinking = c["enable_thinking"].get<bool>();
  if (c["tools"].get<bool>()) options.tool_parser = ToolParserKind::kHermes;
  std::vector<int32_t> prompt = c["prompt_ids"].get<std::vector<int32_t>>();
  auto processor = OutputProcessor::create(&qwen3_tokenizer(), params, prompt, options);
  EXPECT_TRUE(processor.ok());

  std::vector<int32_t> ids = c["token_ids"].get<std::vector<int32_t>>();
  FinishReason engine_finish = engine_finish_of(c["engine_finish"].get<std::string>());
  Streamed out;
  size_t pos = 0;
  for (size_t chunk_idx = 0; pos < ids.size() && !(*processor)->finished(0); ++chunk_idx) {
    size_t size = std::min(chunk_sizes[chunk_idx % chunk_sizes.size()], ids.size() - pos);
    bool last = pos + size == ids.size();
    std::span<const int32_t> chunk(ids.data() + pos, size);
    auto delta = (*processor)->process(0, chunk, {}, last ? engine_finish : FinishReason::kNone);
    EXPECT_TRUE(delta.ok()) << delta.status().message();
    pos += size;
    for (const std::string* piece : {&delta->text, &delta->reasoning, &delta->content}) {
      EXPECT_EQ(text::find_invalid_utf8(*piece), text::kNoInvalidByte);
    }
    out.text += delta->text;
    out.reasoning += delta->reasoning;
    out.content += delta->content;
    for (const ToolCallChunk& tool : delta->tool_calls) {
      if (static_cast<size_t>(tool.index) >= out.tool_names.size()) {
        EXPECT_EQ(static_cast<size_t>(tool.index), out.tool_names.size());
        EXPECT_EQ(tool.id.rfind("chatcmpl-tool-", 0), 0u);
        EXPECT_EQ(tool.id.size(), 14u + 32u);
        out.tool_names.push_back(tool.name);
        out.tool_arguments.emplace_back();
      }
      out.tool_arguments[static_cast<size_t>(tool.index)] += tool.arguments;
    }
    if (delta->finish_reason.has_value()) {
      out.finish_reason = delta->finish_reason;
      out.stop_string = delta->stop_string;
      out.stopped_by_string = delta->stopped_by_string;
    }
  }
  EXPECT_TRUE((*processor)->finished(0));
  EXPECT_EQ(pos, ids.size()) << "the processor stopped before the golden's last token";
  const FinalOutput* final_output = (*processor)->final_output(0);
  EXPECT_NE(final_output, nullptr);
  if (final_output != nullptr) out.final_output = *final_output;
  return out;
}

std::optional<std::string> optional_string(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  return value.get<std::string>();
}

void check_case(const nlohmann::json& c, const std::vector<size_t>& chunk_sizes) {
  Streamed out = run(c, chunk_sizes);
  const nlohmann::json& expected = c["expected"];
  const FinalOutput& final_output = out.final_output;
  EXPECT_EQ(final_output.text, expected["text"].get<std::string>());
  EXPECT_EQ(final_output.reasoning, optional_string(expected["reasoning"]));
  EXPECT_EQ(final_output.content, optional_string(expected["content"]));
  EXPECT_EQ(output_finish_reason_name(final_output.finish_reason), expected["finish_reason"].get<std::string>());
  EXPECT_EQ(final_output.stop_string, optional_string(expected["stop_string"]));
  ASSERT_EQ(final_output.tool_calls.size(), expected["tool_calls"].size());
  for (size_t idx = 0; idx < final_output.tool_calls.size(); ++idx) {
    EXPECT_EQ(final_output.tool_calls[idx].name, expected["tool_calls"][idx]["name"].get<std::string>());
    EXPECT_EQ(final_output.tool_calls[idx].arguments, expected["tool_calls"][idx]["arguments"].get<std::string>());
  }

  EXPECT_EQ(out.text, final_output.text);
  if (c["stream_diverges"].get<bool>()) {
    // As vLLM: the call was streamed once its name was readable, though the block is not valid; the content
    // streamed is what came before it.
    EXPECT_EQ(out.tool_names.size(), 1u);
    EXPECT_EQ(out.finish_reason, OutputFinishReason::kToolCalls);
    EXPECT_EQ(final_output.content->rfind(out.content, 0), 0u);
    return;
  }
  // Streaming equals non-streaming: text, reasoning and content concatenate to the final values; tool calls carry
  // the same names and arguments that parse to the same JSON (streamed arguments keep the model's spacing).
  EXPECT_EQ(out.reasoning, final_output.reasoning.value_or(""));
  EXPECT_EQ(out.content, final_output.content.value_or(""));
  EXPECT_EQ(out.finish_reason, final_output.finish_reason);
  EXPECT_EQ(out.stop_string, final_output.stop_string);
  EXPECT_EQ(out.stopped_by_string, final_output.stop_string.has_value());
  ASSERT_EQ(out.tool_names.size(), final_output.tool_calls.size());
  for (size_t idx = 0; idx < out.tool_names.size(); ++idx) {
    EXPECT_EQ(out.tool_names[idx], final_output.tool_calls[idx].name);
    EXPECT_EQ(nlohmann::json::parse(out.tool_arguments[idx]),
              nlohmann::json::parse(final_output.tool_calls[idx].arguments));
  }
}

nlohmann::json load_cases() {
  std::ifstream in(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/output/data/output_cases.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

TEST(OutputProcessorGolden, TokenByToken) {
  for (const auto& c : load_cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    check_case(c, {1});
  }
}

TEST(OutputProcessorGolden, InChunks) {
  for (const auto& c : load_cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    check_case(c, {2, 3, 1, 5});
  }
}

TEST(OutputProcessorGolden, AllAtOnceUnlessAStopStringEndsItEarly) {
  for (const auto& c : load_cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    check_case(c, {1000});
  }
}

}  // namespace
}  // namespace fovea::engine

namespace fovea::engine {
namespace {

TEST(OutputProcessor, SequencesAreIndependentAndCarryLogprobsAndStopIds) {
  auto params = std::make_shared<SamplingParams>();
  params->n = 2;
  params->eos_token_id = 151645;
  params->stop_token_ids = {151643};
  params->logprobs = 1;
  std::vector<int32_t> prompt = {1, 2};
  auto processor = OutputProcessor::create(&qwen3_tokenizer(), params, prompt, {});
  ASSERT_TRUE(processor.ok());
  std::vector<int32_t> hello = *qwen3_tokenizer().encode("Hello", false);
  SampleOutput sample;
  sample.token_id = hello[0];
  sample.has_logprobs = true;
  sample.logprob = -0.5f;
  sample.rank = 1;
  sample.top_logprobs = {{hello[0], -0.5f}};
  auto delta = (*processor)
                   ->process(1, std::span<const int32_t>(hello.data(), 1), std::span<const SampleOutput>(&sample, 1),
                             FinishReason::kNone);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->child_idx, 1);
  EXPECT_EQ(delta->text, "Hello");
  ASSERT_EQ(delta->logprobs.size(), 1u);
  EXPECT_EQ(delta->logprobs[0].sampled.token, "Hello");
  EXPECT_EQ(delta->logprobs[0].top[0].token, "Hello");
  EXPECT_FALSE((*processor)->finished(0));

  int32_t eot = 151643;
  delta = (*processor)->process(1, std::span<const int32_t>(&eot, 1), {}, FinishReason::kStopToken);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->finish_reason, OutputFinishReason::kStop);
  EXPECT_EQ(delta->stop_token_id, 151643);
  EXPECT_EQ(delta->text, "");
  EXPECT_EQ((*processor)->final_output(1)->token_ids, (std::vector<int32_t>{hello[0], 151643}));
  EXPECT_FALSE((*processor)->process(1, std::span<const int32_t>(&eot, 1), {}, FinishReason::kNone).ok());

  // Child 0 aborts with nothing generated; the EOS gives no stop_reason.
  delta = (*processor)->process(0, {}, {}, FinishReason::kAbort);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->finish_reason, OutputFinishReason::kAbort);
  EXPECT_EQ((*processor)->final_output(0)->text, "");
  EXPECT_FALSE((*processor)->process(2, {}, {}, FinishReason::kNone).ok());
}

TEST(OutputProcessor, HoldsBackOnlyWhatCouldStartAStopString) {
  auto params = std::make_shared<SamplingParams>();
  params->stop = {"END"};
  auto processor = OutputProcessor::create(&qwen3_tokenizer(), params, {}, {});
  ASSERT_TRUE(processor.ok());
  auto step = [&](const std::string& text) {
    std::vector<int32_t> ids = *qwen3_tokenizer().encode(text, false);
    auto delta = (*processor)->process(0, ids, {}, FinishReason::kNone);
    EXPECT_TRUE(delta.ok());
    return *delta;
  };
  EXPECT_EQ(step("abc E").text, "abc ");
  EXPECT_EQ(step("x").text, "Ex");
  OutputDelta last = step(" EN");
  EXPECT_EQ(last.text, " ");
  last = step("D more");
  EXPECT_TRUE(last.stopped_by_string);
  EXPECT_EQ(last.stop_string, "END");
  EXPECT_EQ(last.text, "");
  EXPECT_EQ((*processor)->final_output(0)->text, "abc Ex ");
}

}  // namespace
}  // namespace fovea::engine
