// RankGroupRunner: the StepRunner of a tensor-parallel engine: one ModelRunner per rank (its backend, Model shard
// and KV-cache shard), all run at once on RankThreads for every step; rank 0's logits go to the sampler (every rank
// computes the same full-vocabulary logits). A failing rank aborts every communicator, so no rank stays blocked in a
// collective, and the group refuses every later step; so does a step the RankThreads watchdog timed out.
// Must not contain scheduling, sampling or model code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/communicator.h"
#include "engine/runtime/engine_config.h"
#include "engine/runtime/model_runner.h"
#include "engine/runtime/rank_threads.h"
#include "engine/runtime/step_runner.h"

namespace fovea::engine {

class RankGroupRunner final : public StepRunner {
 public:
  // runners[r] is rank r's (rank 0 copies its logits to the host, the others do not); communicators[r] (not owned)
  // are aborted when a rank fails. `threads` has one rank per runner (its step watchdog, if any, already set).
  // `step_hook` (tests only) runs on every rank's thread before its part of each step.
  RankGroupRunner(std::unique_ptr<RankThreads> threads, std::vector<std::unique_ptr<ModelRunner>> runners,
                  std::vector<backend::Communicator*> communicators, RankStepHook step_hook = {});
  ~RankGroupRunner() override;

  // Between steps the rank threads are idle, so the engine thread updates every rank's prompts itself.
  void add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt) override;
  void remove_prompt(const std::string& request_id) override;

  base::Result<RunnerOutput> execute(const SchedulerOutput& output) override;

  bool failed_permanently() const override { return failed_; }

  int num_ranks() const { return static_cast<int>(runners_.size()); }
  const ModelRunner& rank(int rank_idx) const { return *runners_[static_cast<size_t>(rank_idx)]; }

 private:
  void abort_communicators();

  std::unique_ptr<RankThreads> threads_;
  std::vector<std::unique_ptr<ModelRunner>> runners_;
  std::vector<backend::Communicator*> communicators_;  // not owned
  RankStepHook step_hook_;
  int64_t num_steps_ = 0;  // engine thread only: steps run, for the watchdog's messages
  bool failed_ = false;    // engine thread only
};

}  // namespace fovea::engine
