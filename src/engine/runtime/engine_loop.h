// EngineLoop: the state the engine thread owns — the Scheduler, the StepRunner, the sampler and each live
// request's OutputProcessor — and one step of the loop: schedule -> run -> sample -> update -> output processor
// (text, stop strings, reasoning and tool calls) -> updates to the requests' channels. Not thread-safe: only the
// engine thread calls it.
// Must not contain threads, queues or locks (engine.cpp) or HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/core/scheduler.h"
#include "engine/output/output_processor.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/input_processor.h"
#include "engine/runtime/request_channel.h"
#include "engine/runtime/step_runner.h"
#include "engine/sampling/sampler.h"

namespace fovea::engine {

using EngineClock = std::chrono::steady_clock;

// A request accepted by Engine::submit, on its way to the engine thread.
struct AcceptedRequest {
  std::shared_ptr<const Request> request;
  std::shared_ptr<const SamplingParams> params;
  std::shared_ptr<const ProcessedPrompt> prompt;
  std::shared_ptr<RequestChannel> channel;
  OutputOptions output;
  EngineClock::time_point arrival;
};

class EngineLoop {
 public:
  // `tokenizer` must outlive the loop.
  EngineLoop(const SchedulerConfig& config, std::unique_ptr<StepRunner> runner, const text::Tokenizer& tokenizer);

  void add(AcceptedRequest accepted);
  void abort(const std::string& request_id);
  // Aborts every live request (shutdown).
  void abort_all();
  bool has_work() const { return scheduler_.has_unfinished_sequences(); }
  // One step. An error of the model fails the step's requests (they get a kError finish) and is returned for the log.
  base::Status step();

  EngineStats stats() const;
  // The runner cannot run any later step (a tensor-parallel rank failed): the engine is dead.
  bool runner_failed() const { return runner_->failed_permanently(); }
  const Scheduler& scheduler() const { return scheduler_; }

 private:
  struct Choice {
    int64_t num_tokens = 0;
    bool finished = false;
  };
  struct LiveRequest {
    AcceptedRequest in;
    std::unique_ptr<OutputProcessor> output;  // the text side of every choice
    std::vector<Choice> choices;
    std::unordered_map<SeqId, int32_t> child_of;  // the request's sequences
    RequestUpdate pending;                        // changes of this step, not yet pushed
    bool touched = false;
    bool prompt_ids_sent = false;
    int32_t num_finished = 0;
    int64_t cached_tokens = -1;
    double vision_encoder_s = 0.0;
    std::optional<EngineClock::time_point> first_scheduled;
    std::optional<EngineClock::time_point> first_token;
  };

  ChoiceUpdate& choice_update(LiveRequest& live, int32_t child_idx);
  // Runs the output processor on a step of choice `child_idx` (no tokens: a finish without a new token) and adds
  // the delta to the pending update. Returns true when the processor found a stop string (the caller finishes the
  // sequence in the scheduler).
  bool process_output(LiveRequest& live, int32_t child_idx, std::span<const int32_t> token_ids,
                      std::span<const SampleOutput> samples, FinishReason engine_finish);
  void fail_choice(LiveRequest& live, int32_t child_idx);
  void finish_sequence(const Sequence& seq);
  void flush(LiveRequest& live, std::optional<std::string> error_message = std::nullopt);
  void fail_request(const std::string& request_id, const std::string& message);

  Scheduler scheduler_;
  std::unique_ptr<StepRunner> runner_;
  const text::Tokenizer* tokenizer_;  // not owned
  Sampler sampler_;
  std::unordered_map<std::string, LiveRequest> requests_;
  std::unordered_map<SeqId, std::string> request_of_;  // live sequences -> request id
  int64_t prompt_tokens_total_ = 0;
  int64_t generation_tokens_total_ = 0;
};

}  // namespace fovea::engine
