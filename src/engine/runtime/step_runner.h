// StepRunner: what the engine loop needs from whatever runs a scheduler step on the model: the prompts it will see
// and one step's logits. ModelRunner runs the model on one device; RankGroupRunner runs one ModelRunner per
// tensor-parallel rank at once. Must not contain scheduling or sampling decisions, or threads.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/core/scheduler_output.h"
#include "engine/runtime/input_processor.h"

namespace fovea::engine {

// What one step produced: one logits row per scheduled sequence with samples == true, in scheduled order.
struct RunnerOutput {
  std::vector<SeqId> seq_ids;  // [num_rows]
  std::vector<float> logits;   // [num_rows, vocab] f32
  int64_t vocab_size = 0;
  std::unordered_map<std::string, double> vision_encoder_s;  // by request id: encoder time spent this step

  std::span<const float> row(size_t row_idx) const {
    return std::span<const float>(logits).subspan(row_idx * static_cast<size_t>(vocab_size),
                                                  static_cast<size_t>(vocab_size));
  }
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;

  // The prompt (pixels, positions) of a request, registered before its first step and dropped when it is done.
  virtual void add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt) = 0;
  virtual void remove_prompt(const std::string& request_id) = 0;

  virtual base::Result<RunnerOutput> execute(const SchedulerOutput& output) = 0;

  // True once a failure left the runner unable to run any later step (a tensor-parallel rank failed and the
  // communicators were aborted): the engine stops at once instead of failing step after step.
  virtual bool failed_permanently() const { return false; }
};

}  // namespace fovea::engine
