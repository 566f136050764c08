// RankGroupRunner: one step = RankThreads::run over the ranks' ModelRunners; rank 0's output is the step's.
// Must not contain scheduling or model code.
#include "engine/runtime/rank_group_runner.h"

#include <fmt/format.h>

#include "base/check.h"

namespace fovea::engine {

RankGroupRunner::RankGroupRunner(std::unique_ptr<RankThreads> threads,
                                 std::vector<std::unique_ptr<ModelRunner>> runners,
                                 std::vector<backend::Communicator*> communicators, RankStepHook step_hook)
    : threads_(std::move(threads)),
      runners_(std::move(runners)),
      communicators_(std::move(communicators)),
      step_hook_(std::move(step_hook)) {
  FOVEA_CHECK(threads_ != nullptr && threads_->num_ranks() == static_cast<int>(runners_.size()) &&
                  communicators_.size() == runners_.size(),
              "RankGroupRunner: {} runners, {} communicators", runners_.size(), communicators_.size());
  threads_->set_on_failure([this] { abort_communicators(); });
}

// The threads go first: they may not outlive the runners they call.
RankGroupRunner::~RankGroupRunner() { threads_.reset(); }

void RankGroupRunner::abort_communicators() {
  for (backend::Communicator* comm : communicators_) comm->abort();
}

void RankGroupRunner::add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt) {
  for (const std::unique_ptr<ModelRunner>& runner : runners_) runner->add_prompt(request_id, prompt);
}

void RankGroupRunner::remove_prompt(const std::string& request_id) {
  for (const std::unique_ptr<ModelRunner>& runner : runners_) runner->remove_prompt(request_id);
}

base::Result<RunnerOutput> RankGroupRunner::execute(const SchedulerOutput& output) {
  if (failed_) {
    return base::make_error(base::StatusCode::kUnavailable,
                            "a tensor-parallel rank failed in an earlier step and the ranks were stopped; restart the "
                            "server");
  }
  RunnerOutput rank0_output;
  ++num_steps_;
  // Formatted only if the watchdog times the step out.
  const RankThreads::Describe describe = [this, &output] {
    return fmt::format("engine step {} ({} sequences, {} tokens)", num_steps_, output.scheduled.size(),
                       output.num_scheduled_tokens);
  };
  base::Status status = threads_->run(
      [&](int rank_idx) -> base::Status {
        if (step_hook_) step_hook_(rank_idx, *communicators_[static_cast<size_t>(rank_idx)]);
        base::Result<RunnerOutput> result = runners_[static_cast<size_t>(rank_idx)]->execute(output);
        if (!result.ok()) return result.status();
        if (rank_idx == 0) rank0_output = std::move(*result);
        return base::Status();
      },
      describe);
  if (!status.ok()) {
    failed_ = true;
    return status;
  }
  return rank0_output;
}

}  // namespace fovea::engine
