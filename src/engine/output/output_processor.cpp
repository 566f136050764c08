// The per-request output pipeline (see output_processor.h): detokenize -> stop strings -> hold-back -> reasoning
// split -> tool-call parsing, per sequence. Must not contain the parsers themselves.
#include "engine/output/output_processor.h"

#include <algorithm>

#include "base/check.h"
#include "engine/output/stop_string_matcher.h"
#include "text/utf8.h"

namespace fovea::engine {
namespace {

constexpr std::string_view kThinkStart = "<think>";
constexpr std::string_view kThinkEnd = "</think>";

}  // namespace

const char* output_finish_reason_name(OutputFinishReason reason) {
  switch (reason) {
    case OutputFinishReason::kStop:
      return "stop";
    case OutputFinishReason::kLength:
      return "length";
    case OutputFinishReason::kToolCalls:
      return "tool_calls";
    case OutputFinishReason::kAbort:
      return "abort";
  }
  return "stop";
}

base::Result<ToolParserKind> parse_tool_parser_name(std::string_view name) {
  if (name == "hermes") return ToolParserKind::kHermes;
  return base::invalid_argument("--tool-call-parser '{}' is not supported; choose one of: hermes.", name);
}

base::Status check_output_parsers(const text::Tokenizer& tokenizer, ReasoningParserKind reasoning_parser) {
  if (reasoning_parser == ReasoningParserKind::kNone) return base::Status::ok_status();
  if (!tokenizer.token_to_id(kThinkStart).has_value() || !tokenizer.token_to_id(kThinkEnd).has_value()) {
    return base::invalid_argument(
        "--reasoning-parser {} needs the tokens <think> and </think>, but the model's tokenizer has no such tokens; "
        "drop the flag for this model.",
        reasoning_parser_name(reasoning_parser));
  }
  return base::Status::ok_status();
}

base::Result<std::unique_ptr<OutputProcessor>> OutputProcessor::create(const text::Tokenizer* tokenizer,
                                                                       std::shared_ptr<const SamplingParams> params,
                                                                       std::span<const int32_t> prompt_token_ids,
                                                                       const OutputParserOptions& options) {
  FOVEA_CHECK(tokenizer != nullptr && params != nullptr, "OutputProcessor needs a tokenizer and sampling params");
  FOVEA_RETURN_IF_ERROR(check_output_parsers(*tokenizer, options.reasoning_parser));
  for (const std::string& stop : params->stop) {
    // Matching works on bytes; a stop string that is not UTF-8 could cut a character of the output in two.
    if (text::find_invalid_utf8(stop) != text::kNoInvalidByte) {
      return base::invalid_argument("`stop` contains a string that is not valid UTF-8; send stop strings as text.");
    }
  }
  bool starts_in_reasoning =
      output_starts_in_reasoning(options.reasoning_parser, prompt_token_ids, tokenizer->token_to_id(kThinkStart),
                                 tokenizer->token_to_id(kThinkEnd), options.enable_thinking);
  return std::unique_ptr<OutputProcessor>(
      new OutputProcessor(tokenizer, std::move(params), options, starts_in_reasoning));
}

OutputProcessor::OutputProcessor(const text::Tokenizer* tokenizer, std::shared_ptr<const SamplingParams> params,
                                 const OutputParserOptions& options, bool starts_in_reasoning)
    : tokenizer_(tokenizer),
      params_(std::move(params)),
      options_(options),
      skip_special_tokens_(params_->skip_special_tokens && options.tool_parser == ToolParserKind::kNone),
      starts_in_reasoning_(starts_in_reasoning) {
  for (const std::string& stop : params_->stop) max_stop_bytes_ = std::max(max_stop_bytes_, stop.size());
  sequences_.reserve(static_cast<size_t>(std::max(params_->n, 1)));
  for (int32_t child_idx = 0; child_idx < std::max(params_->n, 1); ++child_idx) {
    sequences_.emplace_back(tokenizer_->incremental_detokenizer(skip_special_tokens_), starts_in_reasoning_);
  }
}

bool OutputProcessor::finished(int32_t child_idx) const {
  return child_idx >= 0 && child_idx < num_sequences() && sequences_[static_cast<size_t>(child_idx)].finished;
}

const FinalOutput* OutputProcessor::final_output(int32_t child_idx) const {
  if (child_idx < 0 || child_idx >= num_sequences()) return nullptr;
  const SequenceState& seq = sequences_[static_cast<size_t>(child_idx)];
  return seq.final_output.has_value() ? &*seq.final_output : nullptr;
}

std::string OutputProcessor::token_text(int32_t token_id) const {
  // As vLLM: each id decoded alone with special tokens kept; ids the tokenizer lacks (padded vocab) are "".
  base::Result<std::string> text = tokenizer_->decode(std::span<const int32_t>(&token_id, 1), false);
  return text.ok() ? std::move(text).value() : std::string();
}

TokenLogprobs OutputProcessor::to_token_logprobs(const SampleOutput& sample) const {
  TokenLogprobs out;
  out.sampled = {sample.token_id, sample.logprob, token_text(sample.token_id)};
  out.rank = sample.rank;
  out.top.reserve(sample.top_logprobs.size());
  for (const TokenLogprob& top : sample.top_logprobs)
    out.top.push_back({top.token_id, top.logprob, token_text(top.token_id)});
  return out;
}

void OutputProcessor::parse_released(SequenceState& seq, std::string_view released, bool finished, OutputDelta& delta) {
  std::string content = std::string(released);
  if (options_.reasoning_parser != ReasoningParserKind::kNone) {
    ReasoningSplitter::Split split = seq.reasoning.push(released);
    if (finished) {
      ReasoningSplitter::Split rest = seq.reasoning.finish();
      split.reasoning += rest.reasoning;
      split.content += rest.content;
    }
    delta.reasoning = std::move(split.reasoning);
    content = std::move(split.content);
  }
  if (options_.tool_parser == ToolParserKind::kHermes) {
    HermesToolParser::Delta tools = seq.tools.push(content, finished);
    delta.content = std::move(tools.content);
    delta.tool_calls = std::move(tools.tool_calls);
    seq.tools_streamed = seq.tools.tools_called();
  } else {
    delta.content = std::move(content);
  }
}

FinalOutput OutputProcessor::make_final(const SequenceState& seq, OutputFinishReason reason) const {
  FinalOutput out;
  out.text = seq.text;
  out.token_ids = seq.token_ids;
  out.logprobs = seq.logprobs;
  out.finish_reason = reason;
  std::string content = seq.text;
  bool content_may_be_null = false;
  if (options_.reasoning_parser != ReasoningParserKind::kNone) {
    // The same machine as the stream, fed the whole text: the split cannot depend on how tokens arrived.
    ReasoningSplitter parser(starts_in_reasoning_);
    ReasoningSplitter::Split split = parser.push(seq.text);
    ReasoningSplitter::Split rest = parser.finish();
    if (starts_in_reasoning_) out.reasoning = split.reasoning + rest.reasoning;
    content = split.content + rest.content;
    content_may_be_null = true;
  }
  if (options_.tool_parser == ToolParserKind::kHermes) {
    ExtractedToolCalls extracted = HermesToolParser::extract(content);
    if (extracted.tools_called) {
      out.tool_calls = std::move(extracted.tool_calls);
      content = std::move(extracted.content);
      content_may_be_null = true;
      if (reason != OutputFinishReason::kAbort) out.finish_reason = OutputFinishReason::kToolCalls;
    }
  }
  if (!(content.empty() && content_may_be_null)) out.content = std::move(content);
  return out;
}

base::Result<OutputDelta> OutputProcessor::process(int32_t child_idx, std::span<const int32_t> new_token_ids,
                                                   std::span<const SampleOutput> sample_outputs,
                                                   FinishReason engine_finish) {
  if (child_idx < 0 || child_idx >= num_sequences()) {
    return base::internal_error("output for sequence {} of a request with {} sequences.", child_idx, num_sequences());
  }
  SequenceState& seq = sequences_[static_cast<size_t>(child_idx)];
  if (seq.finished) {
    return base::internal_error("sequence {} of the request already finished; it can take no more tokens.", child_idx);
  }
  if (!sample_outputs.empty() && sample_outputs.size() != new_token_ids.size()) {
    return base::internal_error("{} sampler outputs for {} new tokens.", sample_outputs.size(), new_token_ids.size());
  }
  const SamplingParams& params = *params_;
  OutputDelta delta;
  delta.child_idx = child_idx;

  // 1. Detokenize. A stop token is not part of the text unless include_stop_str_in_output (vLLM).
  size_t stop_check_offset = seq.text.size();
  for (size_t idx = 0; idx < new_token_ids.size(); ++idx) {
    int32_t id = new_token_ids[idx];
    seq.token_ids.push_back(id);
    ++seq.num_output_tokens;
    bool is_stop_token = engine_finish == FinishReason::kStopToken && idx + 1 == new_token_ids.size();
    if (!is_stop_token || params.include_stop_str_in_output) {
      base::Result<std::string> piece = seq.detokenizer.step(id);
      if (piece.ok()) seq.text += *piece;  // an id without a token (padded vocabulary) decodes to nothing
    }
    if (params.min_tokens > 0 && seq.num_output_tokens <= params.min_tokens) stop_check_offset = seq.text.size();
  }
  bool engine_finished = engine_finish != FinishReason::kNone;
  if (engine_finished) seq.text += seq.detokenizer.finish();

  // 2. Stop strings, only once more than min_tokens tokens exist and only where new text is involved.
  std::optional<StopMatch> stop;
  if (!params.stop.empty() && seq.num_output_tokens > params.min_tokens) {
    stop =
        find_stop_string(seq.text, seq.text.size() - stop_check_offset, params.stop, params.include_stop_str_in_output);
    if (stop.has_value()) {
      FOVEA_CHECK(stop->truncate_bytes >= seq.num_released_bytes, "a stop string began in text already streamed");
      seq.text.resize(stop->truncate_bytes);
    }
  }
  bool finished = engine_finished || stop.has_value();

  // 3. Release what can no longer change: all of it at the end, else all but a possible stop-string start.
  size_t release_end = seq.text.size();
  if (!finished && !params.include_stop_str_in_output && max_stop_bytes_ > 0) {
    std::string_view tail =
        std::string_view(seq.text).substr(seq.text.size() - std::min(seq.text.size(), max_stop_bytes_));
    release_end -= partial_stop_suffix_bytes(tail, params.stop);
  }
  FOVEA_CHECK(release_end >= seq.num_released_bytes, "held-back text shrank below what was streamed");
  delta.text = seq.text.substr(seq.num_released_bytes, release_end - seq.num_released_bytes);
  seq.num_released_bytes = release_end;

  // 4. Reasoning and tool calls.
  parse_released(seq, delta.text, finished, delta);

  delta.token_ids.assign(new_token_ids.begin(), new_token_ids.end());
  for (const SampleOutput& sample : sample_outputs) {
    if (sample.has_logprobs) delta.logprobs.push_back(to_token_logprobs(sample));
  }
  seq.logprobs.insert(seq.logprobs.end(), delta.logprobs.begin(), delta.logprobs.end());
  if (!finished) return delta;

  OutputFinishReason reason = OutputFinishReason::kStop;
  if (stop.has_value()) {
    delta.stop_string = params.stop[stop->stop_idx];
    delta.stopped_by_string = !engine_finished;
  } else if (engine_finish == FinishReason::kStopToken && !new_token_ids.empty()) {
    delta.stop_token_id = params.stop_reason_for_token(new_token_ids.back());
  } else if (engine_finish == FinishReason::kMaxTokens || engine_finish == FinishReason::kMaxModelLen) {
    reason = OutputFinishReason::kLength;
  } else if (engine_finish == FinishReason::kAbort) {
    reason = OutputFinishReason::kAbort;
  }
  seq.finished = true;
  seq.final_output = make_final(seq, reason);
  seq.final_output->stop_string = delta.stop_string;
  seq.final_output->stop_token_id = delta.stop_token_id;
  delta.finish_reason =
      reason == OutputFinishReason::kAbort || !seq.tools_streamed ? reason : OutputFinishReason::kToolCalls;
  return delta;
}

}  // namespace fovea::engine
