// SchedulerOutput: what one step computes (per sequence: which tokens, into which blocks, which encoder inputs),
// and SampledToken, what the runner hands back. Plain data passed from the Scheduler to the model runner.
// Must not contain scheduling logic or tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/core/block_hash.h"
#include "engine/core/request.h"
#include "engine/core/sequence.h"

namespace fovea::engine {

struct ScheduledSequence {
  SeqId seq_id = 0;
  std::shared_ptr<const Request> request;  // prompt, images and sampling params (shared, immutable)
  int32_t child_idx = 0;                   // which of the request's n sequences
  // First step since (re)admission: new, or resumed after preemption. Per-sequence runner state starts over.
  bool admitted = false;
  int64_t num_computed_tokens = 0;  // KV positions [0, num_computed_tokens) exist before this step
  int64_t num_new_tokens = 0;       // this step computes positions [num_computed_tokens, + num_new_tokens)
  std::vector<int32_t> token_ids;   // [num_new_tokens] the token ids at those positions
  std::vector<int32_t> block_ids;   // the whole block table (covers at least the positions computed now)
  // Indices into request->multimodal_inputs whose encoder runs this step, before the decoder; its output is kept
  // under the input's content_hash. Inputs already in the encoder cache are not listed.
  std::vector<int32_t> encoder_input_idxs;
  bool samples = false;  // this chunk ends at the sequence's last token: sample one token
};

// The runner handles preempted_seq_ids, finished_seq_ids and evicted_encoder_hashes before the scheduled entries
// (a sequence preempted from outside may be re-admitted in the same step).
struct SchedulerOutput {
  std::vector<ScheduledSequence> scheduled;  // running sequences first (oldest first), then admitted ones
  int64_t num_scheduled_tokens = 0;
  int64_t num_scheduled_encoder_cost = 0;
  std::vector<SeqId> preempted_seq_ids;             // preempted since the previous step: the runner drops their state
  std::vector<SeqId> finished_seq_ids;              // finished or aborted since the previous step: likewise
  std::vector<ContentHash> evicted_encoder_hashes;  // drop these embeddings before running this step's encoders

  bool empty() const { return scheduled.empty(); }
};

// One sampled token, for each scheduled sequence with samples == true, in the order of SchedulerOutput::scheduled.
struct SampledToken {
  SeqId seq_id = 0;
  int32_t token_id = 0;
};

}  // namespace fovea::engine
