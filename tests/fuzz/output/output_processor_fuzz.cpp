// Fuzz target: the output processor with the real Qwen3 tokenizer on random token streams and random stop strings.
// Byte 0 picks the options (reasoning parser, hermes, include_stop_str_in_output, skip_special_tokens, prompt
// state, how the stream ends); byte 1 the number of stop strings, each a length byte and that many bytes read as
// code points; the rest are 16-bit token picks (some map to <think>, </think>, <tool_call>, ... and to ids the
// tokenizer lacks), fed in chunks. Never crashes, every delta is valid UTF-8, and the deltas concatenate to the
// final text, reasoning and (without tools) content.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/check.h"
#include "engine/output/output_processor.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace {

using fovea::engine::FinishReason;

const fovea::text::Tokenizer& qwen3_tokenizer() {
  static const std::unique_ptr<fovea::text::Tokenizer> tokenizer = [] {
    auto loaded = fovea::text::Tokenizer::load_file(std::string(FOVEA_SOURCE_DIR) +
                                                    "/tests/data/tokenizers/qwen3/tokenizer.json");
    FOVEA_CHECK(loaded.ok(), "cannot load the Qwen3 tokenizer: {}", loaded.status().message());
    return std::move(loaded).value();
  }();
  return *tokenizer;
}

// Ids that drive the parsers: tags, specials, a split multi-byte character, and ids beyond the tokenizer.
constexpr int32_t kInterestingIds[] = {151667, 151668, 151657, 151658, 151645, 151643,
                                       151644, 30543,  220,    151935, 160000};

void check_utf8(const std::string& text) {
  FOVEA_CHECK(fovea::text::find_invalid_utf8(text) == fovea::text::kNoInvalidByte, "a delta split a UTF-8 character");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const fovea::text::Tokenizer& tokenizer = qwen3_tokenizer();
  uint8_t flags = data[0];
  size_t pos = 1;
  auto params = std::make_shared<fovea::engine::SamplingParams>();
  params->eos_token_id = 151645;
  params->include_stop_str_in_output = (flags & 4) != 0;
  params->skip_special_tokens = (flags & 8) == 0;
  size_t num_stops = data[pos++] % 4;
  for (size_t stop_idx = 0; stop_idx < num_stops && pos < size; ++stop_idx) {
    size_t length = data[pos++] % 6 + 1;
    std::string stop;
    for (size_t idx = 0; idx < length && pos < size; ++idx) {
      uint8_t b = data[pos++];
      // Mostly ASCII, sometimes a multi-byte character, so stops can match inside and across tokens.
      fovea::text::append_utf8(stop,
                               b < 0xE0 ? static_cast<char32_t>(b % 0x60 + 0x20) : static_cast<char32_t>(0x4E00 + b));
    }
    params->stop.push_back(stop);
  }
  fovea::engine::OutputParserOptions options;
  options.reasoning_parser = static_cast<fovea::engine::ReasoningParserKind>(flags % 3);
  options.tool_parser =
      (flags & 16) != 0 ? fovea::engine::ToolParserKind::kHermes : fovea::engine::ToolParserKind::kNone;
  options.enable_thinking = (flags & 32) == 0;
  std::vector<int32_t> prompt = {151644, 77091, 198};
  if ((flags & 64) != 0) prompt.push_back(151667);
  auto processor = fovea::engine::OutputProcessor::create(&tokenizer, params, prompt, options);
  FOVEA_CHECK(processor.ok(), "create failed: {}", processor.status().message());

  std::vector<int32_t> ids;
  for (; pos + 1 < size; pos += 2) {
    uint16_t pick = static_cast<uint16_t>(data[pos] | (data[pos + 1] << 8));
    ids.push_back(pick % 8 == 0 ? kInterestingIds[(pick / 8) % std::size(kInterestingIds)] : pick * 3);
  }
  FinishReason end = (flags & 128) != 0 ? FinishReason::kStopToken : FinishReason::kMaxTokens;
  if (ids.empty()) end = FinishReason::kAbort;

  std::string text, reasoning, content;
  size_t idx = 0;
  size_t chunk = 1;
  while (!(*processor)->finished(0)) {
    size_t count = std::min(chunk, ids.size() - idx);
    bool last = idx + count == ids.size();
    auto delta =
        (*processor)
            ->process(0, std::span<const int32_t>(ids.data() + idx, count), {}, last ? end : FinishReason::kNone);
    FOVEA_CHECK(delta.ok(), "process failed: {}", delta.status().message());
    check_utf8(delta->text);
    check_utf8(delta->reasoning);
    check_utf8(delta->content);
    for (const auto& call : delta->tool_calls) {
      check_utf8(call.name);
      check_utf8(call.arguments);
    }
    text += delta->text;
    reasoning += delta->reasoning;
    content += delta->content;
    idx += count;
    chunk = chunk % 3 + 1;
  }
  const fovea::engine::FinalOutput* final_output = (*processor)->final_output(0);
  FOVEA_CHECK(final_output != nullptr, "finished without a final output");
  FOVEA_CHECK(text == final_output->text, "streamed text differs from the final text");
  FOVEA_CHECK(reasoning == final_output->reasoning.value_or(""), "streamed reasoning differs from the final");
  if (options.tool_parser == fovea::engine::ToolParserKind::kNone) {
    FOVEA_CHECK(content == final_output->content.value_or(""), "streamed content differs from the final");
  }
  check_utf8(final_output->content.value_or(""));
  for (const auto& call : final_output->tool_calls) check_utf8(call.arguments);
  return 0;
}
