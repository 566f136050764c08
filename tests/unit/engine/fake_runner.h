// FakeRunner and the engine-core invariant checker used by the scheduler tests: the runner "writes" a value per KV
// slot (the token id, tagged with the image and offset for placeholder positions), checks every position a
// scheduled sequence reads, keeps an encoder store keyed by content hash and samples a deterministic token.
// Must not contain test cases.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/scheduler.h"

namespace fovea::engine::testing {

// What the fake model "computes" for position pos holding token_id: the token id, tagged with the image (and the
// offset in it) whose embedding fills that position. Never 0, the value of a slot nobody wrote.
uint64_t kv_value(const Request& request, int64_t pos, int32_t token_id);

// The deterministic "model": the next token depends on every token so far and on the child index, so recomputed
// sequences continue identically and the n children of a request diverge.
int32_t next_token(std::span<const int32_t> token_ids, int32_t child_idx, int32_t vocab_size);

// What a sequence of this request must produce: (output tokens, finish reason) by the stop rules of the scheduler.
struct ReferenceOutput {
  std::vector<int32_t> output_token_ids;
  FinishReason finish_reason = FinishReason::kNone;
};
ReferenceOutput reference_output(const Request& request, int32_t child_idx, int64_t max_model_len, int32_t vocab_size);

class FakeRunner {
 public:
  FakeRunner(int32_t num_blocks, int64_t block_size, int32_t vocab_size);

  // Runs one step: drops evicted encoder outputs, runs the listed encoders, writes every scheduled position, then
  // checks every position each scheduled sequence reads. Violations are collected in errors().
  std::vector<SampledToken> execute(const SchedulerOutput& output, const Scheduler& scheduler);

  std::span<const uint64_t> block_contents(int32_t block_id) const;
  bool has_encoder_output(const ContentHash& hash) const { return encoder_outputs_.contains(hash); }
  int64_t num_encoder_outputs() const { return static_cast<int64_t>(encoder_outputs_.size()); }
  int64_t num_encoder_runs() const { return num_encoder_runs_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  int64_t block_size_;
  int32_t vocab_size_;
  std::vector<uint64_t> kv_;  // [num_blocks * block_size] the value last written to each slot; 0 = never written
  std::unordered_map<ContentHash, int32_t, DigestHasher> encoder_outputs_;
  int64_t num_encoder_runs_ = 0;
  std::vector<std::string> errors_;
};

// Remembers, for every block hash any live sequence has had, the KV values that hash stands for.
class HashBook {
 public:
  // Records every full block of every live sequence; returns a violation when one hash names two contents.
  std::string record(const Scheduler& scheduler);
  const std::vector<uint64_t>* find(const BlockHash& hash) const;

 private:
  std::unordered_map<BlockHash, std::vector<uint64_t>, DigestHasher> contents_;
};

// Every invariant of docs/ENGINE.md over the scheduler, its pool and encoder cache, and the runner's memory.
// Returns the first violation, or "" when all hold. Call between update() and the next schedule().
std::string find_invariant_violation(const Scheduler& scheduler, const FakeRunner& runner, const HashBook& book);

// A scheduler driven by a FakeRunner, checking every invariant after every step.
class Harness {
 public:
  explicit Harness(const SchedulerConfig& config, int32_t vocab_size = 1000);

  // Adds a request; the test fails when the scheduler refuses it.
  std::vector<SeqId> add(const Request& request);
  // schedule(), execute, update(); returns the first violation found after the step, or "".
  std::string step();
  // The same, split: schedule() and recording of the block hashes it may cache; then execute + update + checks.
  const SchedulerOutput& begin_step();
  std::string end_step();
  // Steps until nothing is live (or max_steps pass); returns the first violation, or "".
  std::string run_to_completion(int64_t max_steps = 10000);
  // Invariants now (between steps).
  std::string check() const;

  Scheduler& scheduler() { return scheduler_; }
  const Scheduler& scheduler() const { return scheduler_; }
  FakeRunner& runner() { return runner_; }
  const SchedulerOutput& last_output() const { return last_output_; }
  // Every sequence that finished through update() or was finished from outside via finish().
  const std::vector<std::unique_ptr<Sequence>>& finished() const { return finished_; }
  const Sequence* finished_sequence(SeqId seq_id) const;
  void keep_finished(std::unique_ptr<Sequence> seq);
  int32_t vocab_size() const { return vocab_size_; }

 private:
  int32_t vocab_size_;
  Scheduler scheduler_;
  FakeRunner runner_;
  HashBook book_;
  SchedulerOutput last_output_;
  std::string book_error_;
  std::vector<std::unique_ptr<Sequence>> finished_;
};

}  // namespace fovea::engine::testing
