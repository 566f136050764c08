// Sampler: chooses one token per row of a [num_rows, vocab] f32 logits batch on the host, each row with its own
// SamplingParams and sequence state, and reports the logprobs a request asked for. Host-only and model-free: the
// runner hands it the logits and the token ids, nothing else. Must not contain detokenization or stop strings.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/sampling/sampling_params.h"

namespace fovea::engine {

// Which distribution logprobs describe (vLLM's --logprobs-mode).
enum class LogprobsMode : uint8_t {
  kRawLogprobs,        // log_softmax of the model's logits, before any processing (vLLM's default)
  kProcessedLogprobs,  // after bias, penalties, temperature, min_p, top-k and top-p (masked ids are -inf)
};

// One row of the batch: which sequence it samples for.
struct SamplerRow {
  const SamplingParams* params = nullptr;     // not owned; outlives the call
  std::span<const int32_t> prompt_token_ids;  // repetition penalty context
  std::span<const int32_t> output_token_ids;  // tokens generated so far (penalties, min_tokens, rng position)
  uint64_t seed = 0;                          // SamplingParams::sequence_seed(child_idx)
};

struct TokenLogprob {
  int32_t token_id = 0;
  float logprob = 0.0f;
};

struct SampleOutput {
  int32_t token_id = 0;
  bool has_logprobs = false;               // params.logprobs was set
  float logprob = 0.0f;                    // of token_id
  int64_t rank = 0;                        // 1 + ids whose logprob is higher, ties counted (vLLM's rank)
  std::vector<TokenLogprob> top_logprobs;  // [params.logprobs] highest first, ties by lower id
};

class Sampler {
 public:
  // `pool` (not owned, may be null) spreads rows over threads; results do not depend on it.
  explicit Sampler(LogprobsMode logprobs_mode = LogprobsMode::kRawLogprobs, base::ThreadPool* pool = nullptr)
      : logprobs_mode_(logprobs_mode), pool_(pool) {}

  // logits: [rows.size(), vocab_size] f32, row-major. One token per row. A row with no finite logit (a model
  // that produced NaN or -inf everywhere) is an internal error naming the row.
  base::Result<std::vector<SampleOutput>> sample(std::span<const float> logits, int64_t vocab_size,
                                                 std::span<const SamplerRow> rows) const;

  LogprobsMode logprobs_mode() const { return logprobs_mode_; }

 private:
  LogprobsMode logprobs_mode_;
  base::ThreadPool* pool_;
};

}  // namespace fovea::engine
