// Scheduler: continuous batching over the KV cache. Each step every sequence's computed-token count catches up with
// its token count under a token budget (chunked prefill, prefix hits and decode are one rule); running sequences
// first, then waiting ones in arrival order; preemption by recompute; images scheduled with their encoder runs.
// Not thread-safe by design: the engine thread alone calls it; other threads talk to that thread through queues.
// Must not contain model, sampler or text code.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/core/encoder_cache.h"
#include "engine/core/kv_cache_manager.h"
#include "engine/core/request.h"
#include "engine/core/scheduler_config.h"
#include "engine/core/scheduler_output.h"
#include "engine/core/sequence.h"

namespace fovea::engine {

struct SchedulerStats {
  int64_t num_running = 0;
  int64_t num_waiting = 0;  // new and preempted
  double kv_cache_usage = 0;
  int64_t num_preemptions = 0;
  int64_t num_encoder_runs = 0;        // encoder inputs scheduled to run
  int64_t num_encoder_cache_hits = 0;  // encoder inputs served by the cache instead
  PrefixCacheStats prefix_cache;
};

class Scheduler {
 public:
  // config.validate() must have succeeded.
  explicit Scheduler(const SchedulerConfig& config);

  // Validates the request against the limits and queues request.n sequences (FCFS). Returns their ids, child 0
  // first. An error (a user's mistake) changes nothing.
  base::Result<std::vector<SeqId>> add_request(std::shared_ptr<const Request> request);

  // Plans one step. Call update() with its result before the next schedule(). The sequences' computed-token
  // counts advance now; full blocks computed by this step are offered to the prefix cache now.
  SchedulerOutput schedule();

  // Applies a step's sampled tokens (one per scheduled sequence with samples == true, in order), finishes
  // sequences on a stop token, max_tokens or max_model_len, and returns the sequences that finished (they hold
  // no blocks). Tokens of sequences aborted or preempted since schedule() are ignored.
  std::vector<std::unique_ptr<Sequence>> update(const SchedulerOutput& output, std::span<const SampledToken> sampled);

  // Finishes a live sequence from outside (stop string found by the output processor, abort) at any moment between
  // calls, also between schedule() and update(): its blocks and encoder holds are given back at once. Returns the
  // finished sequence, or null when seq_id is not live.
  std::unique_ptr<Sequence> finish_sequence(SeqId seq_id, FinishReason reason);
  // Aborts every live sequence of a request; returns them (empty when none is live).
  std::vector<std::unique_ptr<Sequence>> abort_request(std::string_view request_id);
  // Preempts a running sequence now (recompute later). For shedding load from the engine loop and for tests that
  // force preemption; returns false when seq_id is not running.
  bool preempt_sequence(SeqId seq_id);

  // Drops every cached prefix block; refused (false) while any sequence holds blocks.
  bool reset_prefix_cache() { return kv_cache_manager_.reset_prefix_cache(); }

  // Introspection: for the engine loop, metrics and tests.
  const SchedulerConfig& config() const { return config_; }
  const Sequence* find(SeqId seq_id) const;
  bool has_unfinished_sequences() const { return !sequences_.empty(); }
  std::vector<const Sequence*> sequences() const;  // every live sequence, in no particular order
  std::vector<SeqId> running_seq_ids() const;      // highest priority (oldest) first
  std::vector<SeqId> waiting_seq_ids() const;      // next to admit first
  SchedulerStats stats() const;
  const KvCacheManager& kv_cache_manager() const { return kv_cache_manager_; }
  const EncoderCache& encoder_cache() const { return encoder_cache_; }

 private:
  // Encoder inputs a chunk needs, and the chunk cut short before an image that cannot run this step.
  struct EncoderPlan {
    std::vector<int32_t> input_idxs;
    int64_t num_new_tokens = 0;
    int64_t cost = 0;
    int64_t num_cache_hits = 0;  // inputs this sequence newly took from the encoder cache
  };

  base::Status validate_request(const Request& request) const;
  EncoderPlan plan_encoder_inputs(Sequence& seq, int64_t num_computed_tokens, int64_t num_new_tokens,
                                  int64_t encoder_budget);
  void commit_encoder_plan(Sequence& seq, const EncoderPlan& plan);
  void release_encoder_holds(const Sequence& seq);
  void release_consumed_encoder_holds(const Sequence& seq);
  void preempt(Sequence& seq);
  void insert_running(Sequence* seq);
  void remove_from_queues(Sequence* seq);
  std::unique_ptr<Sequence> retire(Sequence& seq, FinishReason reason);
  FinishReason stop_reason(const Sequence& seq) const;
  ScheduledSequence describe(const Sequence& seq, int64_t num_new_tokens, bool admitted, EncoderPlan plan) const;

  SchedulerConfig config_;
  KvCacheManager kv_cache_manager_;
  EncoderCache encoder_cache_;
  std::unordered_map<SeqId, std::unique_ptr<Sequence>> sequences_;       // every live sequence, owned here
  std::unordered_map<std::string, std::vector<SeqId>> request_seq_ids_;  // live sequences of each request
  std::vector<Sequence*> running_;  // sorted by priority_order (oldest first); points into sequences_
  std::deque<Sequence*> waiting_;   // FCFS; preempted sequences go back to the front
  std::vector<SeqId> finished_since_step_;
  std::vector<SeqId> preempted_since_step_;  // by preempt_sequence() between steps
  SeqId next_seq_id_ = 1;
  uint64_t next_priority_order_ = 0;
  bool step_in_flight_ = false;
  int64_t num_preemptions_ = 0;
  int64_t num_encoder_runs_ = 0;
  int64_t num_encoder_cache_hits_ = 0;
};

}  // namespace fovea::engine
