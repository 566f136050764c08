// EngineLoop: one engine step and the bookkeeping of each live request's choices (the output processor's deltas
// and answers, finishes, usage, timings). Must not contain threads or locks, or text processing of its own.
#include "engine/runtime/engine_loop.h"

#include <algorithm>

#include "base/check.h"
#include "base/log.h"

namespace fovea::engine {
namespace {

double seconds_between(EngineClock::time_point from, EngineClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

OutputParserOptions parser_options(const OutputOptions& output) {
  OutputParserOptions out;
  switch (output.reasoning) {
    case ReasoningParser::kQwen3:
      out.reasoning_parser = ReasoningParserKind::kQwen3;
      break;
    case ReasoningParser::kDeepSeekR1:
      out.reasoning_parser = ReasoningParserKind::kDeepSeekR1;
      break;
    case ReasoningParser::kNone:
      break;
  }
  if (output.tools == ToolCallParser::kHermes) out.tool_parser = ToolParserKind::kHermes;
  out.enable_thinking = output.enable_thinking;
  return out;
}

FinishKind finish_kind(OutputFinishReason reason) {
  switch (reason) {
    case OutputFinishReason::kStop:
      return FinishKind::kStop;
    case OutputFinishReason::kLength:
      return FinishKind::kLength;
    case OutputFinishReason::kToolCalls:
      return FinishKind::kToolCalls;
    case OutputFinishReason::kAbort:
      return FinishKind::kAbort;
  }
  return FinishKind::kStop;
}

TokenLogprobEntry logprob_entry(const TokenLogprobs& logprobs) {
  TokenLogprobEntry entry{logprobs.sampled.token_id, logprobs.sampled.token, logprobs.sampled.logprob, {}};
  entry.top.reserve(logprobs.top.size());
  for (const LogprobEntry& top : logprobs.top) entry.top.push_back({top.token_id, top.token, top.logprob});
  return entry;
}

// Every choice of a request the engine cannot take ends with kError and `message`.
void reject(const AcceptedRequest& accepted, std::string message) {
  RequestUpdate update;
  update.finished = true;
  update.error_message = std::move(message);
  for (int32_t child_idx = 0; child_idx < accepted.request->n; ++child_idx) {
    ChoiceUpdate choice;
    choice.index = child_idx;
    choice.finish = FinishKind::kError;
    update.choices.push_back(std::move(choice));
  }
  accepted.channel->push(std::move(update));
}

}  // namespace

EngineLoop::EngineLoop(const SchedulerConfig& config, std::unique_ptr<StepRunner> runner,
                       const text::Tokenizer& tokenizer)
    : scheduler_(config), runner_(std::move(runner)), tokenizer_(&tokenizer) {}

void EngineLoop::add(AcceptedRequest accepted) {
  const std::string& request_id = accepted.request->request_id;
  auto output = OutputProcessor::create(tokenizer_, accepted.params, accepted.request->prompt_token_ids,
                                        parser_options(accepted.output));
  if (!output.ok()) {
    reject(accepted, output.status().message());
    return;
  }
  auto seq_ids = scheduler_.add_request(accepted.request);
  if (!seq_ids.ok()) {
    reject(accepted, seq_ids.status().message());
    return;
  }
  runner_->add_prompt(request_id, accepted.prompt);
  LiveRequest live;
  live.output = std::move(output).value();
  live.choices.resize(static_cast<size_t>(accepted.request->n));
  for (size_t child_idx = 0; child_idx < seq_ids->size(); ++child_idx) {
    live.child_of[(*seq_ids)[child_idx]] = static_cast<int32_t>(child_idx);
    request_of_[(*seq_ids)[child_idx]] = request_id;
  }
  prompt_tokens_total_ += static_cast<int64_t>(accepted.request->prompt_token_ids.size());
  live.in = std::move(accepted);
  requests_.emplace(request_id, std::move(live));
}

ChoiceUpdate& EngineLoop::choice_update(LiveRequest& live, int32_t child_idx) {
  live.touched = true;
  for (ChoiceUpdate& update : live.pending.choices) {
    if (update.index == child_idx) return update;
  }
  live.pending.choices.emplace_back();
  live.pending.choices.back().index = child_idx;
  return live.pending.choices.back();
}

bool EngineLoop::process_output(LiveRequest& live, int32_t child_idx, std::span<const int32_t> token_ids,
                                std::span<const SampleOutput> samples, FinishReason engine_finish) {
  Choice& choice = live.choices[static_cast<size_t>(child_idx)];
  if (choice.finished) return false;
  base::Result<OutputDelta> delta = live.output->process(child_idx, token_ids, samples, engine_finish);
  // The loop feeds each live choice once per sampled token and stops at its finish; anything else is a bug here.
  FOVEA_CHECK(delta.ok(), "output processing failed: {}", delta.status().message());
  ChoiceUpdate& update = choice_update(live, child_idx);
  update.content_delta += delta->content;
  update.reasoning_delta += delta->reasoning;
  for (ToolCallChunk& chunk : delta->tool_calls) {
    ToolCallDelta call;
    call.index = chunk.index;
    if (!chunk.id.empty()) call.id = std::move(chunk.id);
    if (!chunk.name.empty()) call.name = std::move(chunk.name);
    call.arguments_delta = std::move(chunk.arguments);
    update.tool_calls.push_back(std::move(call));
  }
  update.token_ids.insert(update.token_ids.end(), delta->token_ids.begin(), delta->token_ids.end());
  for (const TokenLogprobs& logprobs : delta->logprobs) update.logprobs.push_back(logprob_entry(logprobs));
  if (!delta->finish_reason) return false;

  update.finish = finish_kind(*delta->finish_reason);
  update.stop_string = delta->stop_string;
  update.stop_token_id = delta->stop_token_id;
  choice.finished = true;
  ++live.num_finished;
  const FinalOutput* final_output = live.output->final_output(child_idx);
  FOVEA_CHECK(final_output != nullptr, "a finished sequence has no final output");
  ChoiceAnswer answer;
  answer.index = child_idx;
  answer.reasoning = final_output->reasoning;
  answer.content = final_output->content;
  answer.tool_calls = final_output->tool_calls;
  answer.finish = finish_kind(final_output->finish_reason);
  live.pending.answers.push_back(std::move(answer));
  return delta->stopped_by_string;
}

void EngineLoop::fail_choice(LiveRequest& live, int32_t child_idx) {
  Choice& choice = live.choices[static_cast<size_t>(child_idx)];
  if (choice.finished) return;
  choice_update(live, child_idx).finish = FinishKind::kError;
  choice.finished = true;
  ++live.num_finished;
}

// A sequence the scheduler finished (stop token, length, abort): its choice ends with the matching reason.
void EngineLoop::finish_sequence(const Sequence& seq) {
  auto owner = request_of_.find(seq.seq_id());
  if (owner == request_of_.end()) return;
  auto live_it = requests_.find(owner->second);
  request_of_.erase(owner);
  if (live_it == requests_.end()) return;
  LiveRequest& live = live_it->second;
  const int32_t child_idx = live.child_of.at(seq.seq_id());
  const FinishReason reason = seq.finish_reason() == FinishReason::kNone ? FinishReason::kAbort : seq.finish_reason();
  process_output(live, child_idx, {}, {}, reason);
}

void EngineLoop::flush(LiveRequest& live, std::optional<std::string> error_message) {
  if (!live.touched && !error_message) return;
  RequestUpdate update = std::move(live.pending);
  live.pending = RequestUpdate{};
  live.touched = false;
  update.usage.prompt_tokens = static_cast<int64_t>(live.in.request->prompt_token_ids.size());
  for (const Choice& choice : live.choices) update.usage.completion_tokens += choice.num_tokens;
  update.usage.cached_tokens = std::max<int64_t>(live.cached_tokens, 0);
  if (!live.prompt_ids_sent && (live.in.output.return_token_ids || live.in.output.echo_prompt)) {
    update.prompt_token_ids = live.in.request->prompt_token_ids;
  }
  live.prompt_ids_sent = true;
  update.error_message = std::move(error_message);
  update.finished = live.num_finished == static_cast<int32_t>(live.choices.size());
  if (update.finished) {
    const auto now = EngineClock::now();
    update.timings.queue_s = live.first_scheduled ? seconds_between(live.in.arrival, *live.first_scheduled) : 0.0;
    update.timings.first_token_s = live.first_token ? seconds_between(live.in.arrival, *live.first_token) : 0.0;
    update.timings.vision_encoder_s = live.vision_encoder_s;
    update.timings.end_to_end_s = seconds_between(live.in.arrival, now);
  }
  live.in.channel->push(std::move(update));
}

void EngineLoop::abort(const std::string& request_id) {
  auto live_it = requests_.find(request_id);
  if (live_it == requests_.end()) return;
  for (const std::unique_ptr<Sequence>& seq : scheduler_.abort_request(request_id)) finish_sequence(*seq);
  LiveRequest& live = live_it->second;
  for (int32_t child_idx = 0; child_idx < static_cast<int32_t>(live.choices.size()); ++child_idx) {
    process_output(live, child_idx, {}, {}, FinishReason::kAbort);
  }
  flush(live);
  runner_->remove_prompt(request_id);
  requests_.erase(live_it);
}

void EngineLoop::abort_all() {
  std::vector<std::string> ids;
  for (const auto& [request_id, live] : requests_) ids.push_back(request_id);
  for (const std::string& request_id : ids) abort(request_id);
}

void EngineLoop::fail_request(const std::string& request_id, const std::string& message) {
  auto live_it = requests_.find(request_id);
  if (live_it == requests_.end()) return;
  for (const std::unique_ptr<Sequence>& seq : scheduler_.abort_request(request_id)) request_of_.erase(seq->seq_id());
  LiveRequest& live = live_it->second;
  for (int32_t child_idx = 0; child_idx < static_cast<int32_t>(live.choices.size()); ++child_idx) {
    fail_choice(live, child_idx);
  }
  flush(live, message);
  runner_->remove_prompt(request_id);
  requests_.erase(live_it);
}

base::Status EngineLoop::step() {
  const SchedulerOutput output = scheduler_.schedule();
  const auto scheduled_at = EngineClock::now();
  for (const ScheduledSequence& scheduled : output.scheduled) {
    auto live_it = requests_.find(scheduled.request->request_id);
    if (live_it == requests_.end()) continue;
    LiveRequest& live = live_it->second;
    if (!live.first_scheduled) live.first_scheduled = scheduled_at;
    if (scheduled.admitted && live.cached_tokens < 0) {
      const Sequence* seq = scheduler_.find(scheduled.seq_id);
      if (seq != nullptr) live.cached_tokens = std::max<int64_t>(seq->num_prefix_cached_tokens(), 0);
    }
  }

  auto result = runner_->execute(output);
  if (!result.ok()) {
    FOVEA_LOG_ERROR("engine step failed: {}", result.status().to_string());
    std::vector<SampledToken> placeholders;
    for (const ScheduledSequence& scheduled : output.scheduled) {
      if (scheduled.samples) placeholders.push_back({scheduled.seq_id, 0});
    }
    // A runner that cannot run again (a tensor-parallel rank failed, or the step watchdog timed a step out) leaves
    // the engine dead: "try again" would not help.
    const char* message = runner_->failed_permanently()
                              ? "the engine stopped while running this request (a tensor-parallel step failed or "
                                "timed out; see the server log) and serves no more requests; restart the server"
                              : "the engine failed while running this request; try again";
    for (const ScheduledSequence& scheduled : output.scheduled) fail_request(scheduled.request->request_id, message);
    scheduler_.update(output, placeholders);
    return result.status();
  }
  for (const auto& [request_id, seconds] : result->vision_encoder_s) {
    auto live_it = requests_.find(request_id);
    if (live_it != requests_.end()) live_it->second.vision_encoder_s += seconds;
  }

  // One token per sampling row, with the sequence's history for penalties and its child's seed.
  std::vector<SamplerRow> rows;
  for (SeqId seq_id : result->seq_ids) {
    const Sequence* seq = scheduler_.find(seq_id);
    FOVEA_CHECK(seq != nullptr, "sequence {} was scheduled but is not live", seq_id);
    const auto* params = static_cast<const SamplingParams*>(seq->request().sampling_params.get());
    rows.push_back({params, seq->token_ids().first(static_cast<size_t>(seq->num_prompt_tokens())),
                    seq->output_token_ids(), params->sequence_seed(seq->child_idx())});
  }
  auto samples = sampler_.sample(result->logits, result->vocab_size, rows);
  std::vector<SampledToken> sampled;
  for (size_t row_idx = 0; row_idx < result->seq_ids.size(); ++row_idx) {
    // A failed row (no finite logit) keeps the scheduler's step consistent; its request fails below.
    const int32_t token_id = samples.ok() ? (*samples)[row_idx].token_id : 0;
    sampled.push_back({result->seq_ids[row_idx], token_id});
  }
  if (!samples.ok()) {
    FOVEA_LOG_ERROR("sampling failed: {}", samples.status().to_string());
    for (const ScheduledSequence& scheduled : output.scheduled) {
      fail_request(scheduled.request->request_id, "the engine failed while sampling this request; try again");
    }
    scheduler_.update(output, sampled);
    return samples.status();
  }
  std::vector<std::unique_ptr<Sequence>> finished = scheduler_.update(output, sampled);

  const auto sampled_at = EngineClock::now();
  std::vector<std::string> touched;
  for (size_t row_idx = 0; row_idx < sampled.size(); ++row_idx) {
    const SeqId seq_id = sampled[row_idx].seq_id;
    auto owner = request_of_.find(seq_id);
    if (owner == request_of_.end()) continue;
    LiveRequest& live = requests_.at(owner->second);
    const int32_t child_idx = live.child_of.at(seq_id);
    Choice& choice = live.choices[static_cast<size_t>(child_idx)];
    if (choice.finished) continue;
    if (!live.first_token) live.first_token = sampled_at;
    touched.push_back(owner->second);
    ++choice.num_tokens;
    ++generation_tokens_total_;
    // The scheduler's finish of this very token (stop token, length) goes with it to the output processor.
    FinishReason engine_finish = FinishReason::kNone;
    for (const std::unique_ptr<Sequence>& seq : finished) {
      if (seq->seq_id() == seq_id) engine_finish = seq->finish_reason();
    }
    const bool stopped_by_string = process_output(live, child_idx, std::span(&sampled[row_idx].token_id, 1),
                                                  std::span(&(*samples)[row_idx], 1), engine_finish);
    if (stopped_by_string) {
      scheduler_.finish_sequence(seq_id, FinishReason::kStopString);
      request_of_.erase(seq_id);
    }
  }
  for (const std::unique_ptr<Sequence>& seq : finished) {
    auto owner = request_of_.find(seq->seq_id());
    if (owner != request_of_.end()) touched.push_back(owner->second);
    finish_sequence(*seq);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (const std::string& request_id : touched) {
    auto live_it = requests_.find(request_id);
    if (live_it == requests_.end()) continue;
    flush(live_it->second);
    if (live_it->second.num_finished == static_cast<int32_t>(live_it->second.choices.size())) {
      runner_->remove_prompt(request_id);
      requests_.erase(live_it);
    }
  }
  return base::Status();
}

EngineStats EngineLoop::stats() const {
  const SchedulerStats stats = scheduler_.stats();
  EngineStats out;
  out.num_running = stats.num_running;
  out.num_waiting = stats.num_waiting;
  out.kv_cache_usage = stats.kv_cache_usage;
  out.num_kv_blocks = scheduler_.config().num_blocks;
  out.kv_block_size_tokens = scheduler_.config().block_size;
  out.prefix_cache_queries = stats.prefix_cache.num_query_tokens;
  out.prefix_cache_hits = stats.prefix_cache.num_hit_tokens;
  out.encoder_cache_queries = stats.num_encoder_runs + stats.num_encoder_cache_hits;
  out.encoder_cache_hits = stats.num_encoder_cache_hits;
  out.num_preemptions = stats.num_preemptions;
  out.prompt_tokens_total = prompt_tokens_total_;
  out.generation_tokens_total = generation_tokens_total_;
  return out;
}

}  // namespace fovea::engine
