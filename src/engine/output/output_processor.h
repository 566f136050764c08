// OutputProcessor: one request's output side. Per sequence (n > 1 gives n), it detokenizes the sampled tokens
// incrementally, applies stop strings (holding back text that may still become one), splits reasoning from content
// and parses tool calls, and returns a delta per step plus the final non-streaming output. The engine loop calls
// process() with each step's tokens; a delta with stopped_by_string asks it to finish that sequence.
// Must not contain sampling, scheduling or JSON for the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/core/sequence.h"
#include "engine/output/hermes_tool_parser.h"
#include "engine/output/output_types.h"
#include "engine/output/reasoning_parser.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/sampling_params.h"
#include "text/incremental_detokenizer.h"
#include "text/tokenizer.h"

namespace fovea::engine {

enum class ToolParserKind : uint8_t { kNone, kHermes };

// "hermes" (vLLM's --tool-call-parser name); an unknown name lists the valid ones.
base::Result<ToolParserKind> parse_tool_parser_name(std::string_view name);

// Per request: which parsers the server's flags and the request turn on.
struct OutputParserOptions {
  ReasoningParserKind reasoning_parser = ReasoningParserKind::kNone;  // --reasoning-parser (chat only)
  bool enable_thinking = true;                                        // chat_template_kwargs.enable_thinking
  // --tool-call-parser, only for a chat request with tools and tool_choice "auto". As vLLM's hermes parser, it
  // turns skip_special_tokens off for the request so tags that some tokenizers mark special survive.
  ToolParserKind tool_parser = ToolParserKind::kNone;
};

// Checks at start-up that the tokenizer has what the parsers need (<think> and </think> for a reasoning parser).
base::Status check_output_parsers(const text::Tokenizer& tokenizer, ReasoningParserKind reasoning_parser);

class OutputProcessor {
 public:
  // `tokenizer` is not owned and must outlive the processor; `params` is the request's bound SamplingParams.
  static base::Result<std::unique_ptr<OutputProcessor>> create(const text::Tokenizer* tokenizer,
                                                               std::shared_ptr<const SamplingParams> params,
                                                               std::span<const int32_t> prompt_token_ids,
                                                               const OutputParserOptions& options);

  OutputProcessor(const OutputProcessor&) = delete;
  OutputProcessor& operator=(const OutputProcessor&) = delete;

  // One step of sequence `child_idx`: its new tokens (usually one), their sampler outputs when the request asked
  // for logprobs (else empty), and the engine's finish reason (kNone while it runs; kStopToken means the last new
  // token is the stop token). Errors: an unknown child, tokens after the end, an id the tokenizer lacks.
  base::Result<OutputDelta> process(int32_t child_idx, std::span<const int32_t> new_token_ids,
                                    std::span<const SampleOutput> sample_outputs, FinishReason engine_finish);

  bool finished(int32_t child_idx) const;
  // The non-streaming answer of a finished sequence (nullptr before it finished or for an unknown child).
  const FinalOutput* final_output(int32_t child_idx) const;
  int32_t num_sequences() const { return static_cast<int32_t>(sequences_.size()); }

 private:
  struct SequenceState {
    explicit SequenceState(text::IncrementalDetokenizer detok, bool starts_in_reasoning)
        : detokenizer(std::move(detok)), reasoning(starts_in_reasoning) {}
    text::IncrementalDetokenizer detokenizer;
    std::string text;               // the output text so far (stop string cut away)
    size_t num_released_bytes = 0;  // text handed to the parsers and the deltas
    int64_t num_output_tokens = 0;
    ReasoningSplitter reasoning;
    HermesToolParser tools;
    bool tools_streamed = false;
    std::vector<int32_t> token_ids;
    std::vector<TokenLogprobs> logprobs;
    bool finished = false;
    std::optional<FinalOutput> final_output;
  };

  OutputProcessor(const text::Tokenizer* tokenizer, std::shared_ptr<const SamplingParams> params,
                  const OutputParserOptions& options, bool starts_in_reasoning);

  std::string token_text(int32_t token_id) const;
  TokenLogprobs to_token_logprobs(const SampleOutput& sample) const;
  void parse_released(SequenceState& seq, std::string_view released, bool finished, OutputDelta& delta);
  FinalOutput make_final(const SequenceState& seq, OutputFinishReason reason) const;

  const text::Tokenizer* tokenizer_;  // not owned
  std::shared_ptr<const SamplingParams> params_;
  OutputParserOptions options_;
  bool skip_special_tokens_;
  bool starts_in_reasoning_;
  size_t max_stop_bytes_ = 0;
  std::vector<SequenceState> sequences_;
};

}  // namespace fovea::engine
