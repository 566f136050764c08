// Scheduler: vLLM V1's scheduling rule in C++ (running first, then waiting FCFS; one token budget; encoder inputs
// scheduled with the chunk that first covers their placeholders; preemption of the newest running sequence).
// Must not contain model, sampler or text code.
#include "engine/core/scheduler.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "base/log.h"

namespace fovea::engine {

Scheduler::Scheduler(const SchedulerConfig& config)
    : config_(config),
      kv_cache_manager_(config.num_blocks, config.block_size, config.max_model_len, config.enable_prefix_caching),
      encoder_cache_(config.encoder_cache_size_tokens) {
  const base::Status status = config.validate();
  FOVEA_CHECK(status.ok(), "scheduler built from an unvalidated config: {}", status.message());
}

base::Status Scheduler::validate_request(const Request& request) const {
  if (request_seq_ids_.contains(request.request_id)) {
    return base::invalid_argument("request id '{}' is already used by a request in progress; use a unique id",
                                  request.request_id);
  }
  const auto num_prompt_tokens = static_cast<int64_t>(request.prompt_token_ids.size());
  if (num_prompt_tokens >= config_.max_model_len) {
    return base::invalid_argument(
        "request {}: the prompt has {} tokens but max_model_len is {}, which leaves no room to generate; shorten the "
        "prompt or raise --max-model-len",
        request.request_id, num_prompt_tokens, config_.max_model_len);
  }
  for (size_t input_idx = 0; input_idx < request.multimodal_inputs.size(); ++input_idx) {
    const MultimodalInput& input = request.multimodal_inputs[input_idx];
    if (input.encoder_cost > config_.max_encoder_cost_per_step ||
        input.num_placeholder_tokens > config_.encoder_cache_size_tokens) {
      return base::invalid_argument(
          "request {}: image {} needs encoder cost {} and {} cache tokens, more than the per-step encoder budget {} "
          "or the encoder cache size {}; send a smaller image or raise the server's encoder limits",
          request.request_id, input_idx, input.encoder_cost, input.num_placeholder_tokens,
          config_.max_encoder_cost_per_step, config_.encoder_cache_size_tokens);
    }
  }
  return base::Status::ok_status();
}

base::Result<std::vector<SeqId>> Scheduler::add_request(std::shared_ptr<const Request> request) {
  if (!request) return base::invalid_argument("add_request got no request");
  FOVEA_RETURN_IF_ERROR(request->validate());
  FOVEA_RETURN_IF_ERROR(validate_request(*request));
  std::vector<SeqId> seq_ids;
  for (int32_t child_idx = 0; child_idx < request->n; ++child_idx) {
    const SeqId seq_id = next_seq_id_++;
    auto seq = std::make_unique<Sequence>(seq_id, request, child_idx, next_priority_order_++, config_.block_size);
    waiting_.push_back(seq.get());
    sequences_.emplace(seq_id, std::move(seq));
    seq_ids.push_back(seq_id);
  }
  request_seq_ids_.emplace(request->request_id, seq_ids);
  return seq_ids;
}

Scheduler::EncoderPlan Scheduler::plan_encoder_inputs(Sequence& seq, int64_t num_computed_tokens,
                                                      int64_t num_new_tokens, int64_t encoder_budget) {
  EncoderPlan plan;
  plan.num_new_tokens = num_new_tokens;
  const std::vector<MultimodalInput>& inputs = seq.request().multimodal_inputs;
  std::vector<const ContentHash*> planned_hashes;
  int64_t num_planned_cache_tokens = 0;
  for (size_t input_idx = 0; input_idx < inputs.size(); ++input_idx) {
    const MultimodalInput& input = inputs[input_idx];
    const int64_t start_idx = input.placeholder_start_idx;
    if (start_idx >= num_computed_tokens + plan.num_new_tokens) break;
    if (start_idx + input.num_placeholder_tokens <= num_computed_tokens) continue;  // its KV already exists
    const auto same_hash = [&](const ContentHash* hash) { return *hash == input.content_hash; };
    if (std::any_of(planned_hashes.begin(), planned_hashes.end(), same_hash)) continue;
    const bool held = encoder_cache_.is_held_by(input.content_hash, seq.seq_id());
    if (encoder_cache_.acquire_if_cached(input.content_hash, seq.seq_id())) {
      plan.num_cache_hits += held ? 0 : 1;
      continue;
    }
    // The image's placeholders are never split from its encoder run: when the run does not fit this step, the
    // chunk stops right before the image (or, when a prefix hit already entered it, nothing runs this step).
    if (input.encoder_cost > encoder_budget - plan.cost ||
        !encoder_cache_.make_room(num_planned_cache_tokens + input.num_placeholder_tokens)) {
      plan.num_new_tokens = std::max<int64_t>(0, start_idx - num_computed_tokens);
      break;
    }
    plan.input_idxs.push_back(static_cast<int32_t>(input_idx));
    plan.cost += input.encoder_cost;
    num_planned_cache_tokens += input.num_placeholder_tokens;
    planned_hashes.push_back(&input.content_hash);
  }
  return plan;
}

void Scheduler::commit_encoder_plan(Sequence& seq, const EncoderPlan& plan) {
  for (int32_t input_idx : plan.input_idxs) {
    const MultimodalInput& input = seq.request().multimodal_inputs[static_cast<size_t>(input_idx)];
    encoder_cache_.insert(input.content_hash, input.num_placeholder_tokens, seq.seq_id());
  }
  num_encoder_runs_ += static_cast<int64_t>(plan.input_idxs.size());
  num_encoder_cache_hits_ += plan.num_cache_hits;
}

void Scheduler::release_encoder_holds(const Sequence& seq) {
  for (const MultimodalInput& input : seq.request().multimodal_inputs) {
    encoder_cache_.release(input.content_hash, seq.seq_id());
  }
}

void Scheduler::release_consumed_encoder_holds(const Sequence& seq) {
  const std::vector<MultimodalInput>& inputs = seq.request().multimodal_inputs;
  const int64_t num_computed_tokens = seq.num_computed_tokens();
  const auto in_progress = [&](const ContentHash& hash) {
    return std::any_of(inputs.begin(), inputs.end(), [&](const MultimodalInput& other) {
      return other.content_hash == hash && other.placeholder_start_idx < num_computed_tokens &&
             other.placeholder_start_idx + other.num_placeholder_tokens > num_computed_tokens;
    });
  };
  for (const MultimodalInput& input : inputs) {
    if (input.placeholder_start_idx + input.num_placeholder_tokens > num_computed_tokens) break;
    // A sequence holds only images it is inside of: one holding an image it needs only later could pin the cache
    // while it waits for room for another image (a deadlock). The same image later in the prompt is taken again
    // from the cache, or re-run, when a chunk reaches it.
    if (!in_progress(input.content_hash)) encoder_cache_.release(input.content_hash, seq.seq_id());
  }
}

void Scheduler::preempt(Sequence& seq) {
  kv_cache_manager_.free(seq);
  release_encoder_holds(seq);
  seq.preempt();
  waiting_.push_front(&seq);
  ++num_preemptions_;
  FOVEA_LOG_DEBUG("preempted sequence {} of request {} ({} tokens to recompute)", seq.seq_id(),
                  seq.request().request_id, seq.num_tokens());
}

void Scheduler::insert_running(Sequence* seq) {
  const auto it = std::lower_bound(running_.begin(), running_.end(), seq, [](const Sequence* a, const Sequence* b) {
    return a->priority_order() < b->priority_order();
  });
  running_.insert(it, seq);
}

void Scheduler::remove_from_queues(Sequence* seq) {
  if (seq->status() == SequenceStatus::kRunning) {
    const auto it = std::find(running_.begin(), running_.end(), seq);
    FOVEA_CHECK(it != running_.end(), "running sequence {} missing from the running list", seq->seq_id());
    running_.erase(it);
  } else {
    const auto it = std::find(waiting_.begin(), waiting_.end(), seq);
    FOVEA_CHECK(it != waiting_.end(), "{} sequence {} missing from the waiting queue",
                sequence_status_name(seq->status()), seq->seq_id());
    waiting_.erase(it);
  }
}

std::unique_ptr<Sequence> Scheduler::retire(Sequence& seq, FinishReason reason) {
  kv_cache_manager_.free(seq);
  release_encoder_holds(seq);
  seq.finish(reason);
  const SeqId seq_id = seq.seq_id();
  finished_since_step_.push_back(seq_id);
  const auto request_it = request_seq_ids_.find(seq.request().request_id);
  FOVEA_CHECK(request_it != request_seq_ids_.end(), "sequence {} has no request entry", seq_id);
  std::erase(request_it->second, seq_id);
  if (request_it->second.empty()) request_seq_ids_.erase(request_it);
  const auto it = sequences_.find(seq_id);
  std::unique_ptr<Sequence> out = std::move(it->second);
  sequences_.erase(it);
  return out;
}

ScheduledSequence Scheduler::describe(const Sequence& seq, int64_t num_new_tokens, bool admitted,
                                      EncoderPlan plan) const {
  ScheduledSequence out;
  out.seq_id = seq.seq_id();
  out.request = seq.shared_request();
  out.child_idx = seq.child_idx();
  out.admitted = admitted;
  out.num_computed_tokens = seq.num_computed_tokens();
  out.num_new_tokens = num_new_tokens;
  const std::span<const int32_t> chunk =
      seq.token_ids().subspan(static_cast<size_t>(seq.num_computed_tokens()), static_cast<size_t>(num_new_tokens));
  out.token_ids.assign(chunk.begin(), chunk.end());
  out.block_ids = seq.block_ids();
  out.encoder_input_idxs = std::move(plan.input_idxs);
  out.samples = seq.num_computed_tokens() + num_new_tokens == seq.num_tokens();
  return out;
}

SchedulerOutput Scheduler::schedule() {
  FOVEA_CHECK(!step_in_flight_, "schedule() called again before update() of the previous step");
  SchedulerOutput out;
  int64_t token_budget = config_.max_num_batched_tokens;
  int64_t encoder_budget = config_.max_encoder_cost_per_step;
  std::vector<Sequence*> scheduled_seqs;
  const auto record = [&](Sequence& seq, EncoderPlan plan, bool admitted) {
    commit_encoder_plan(seq, plan);
    token_budget -= plan.num_new_tokens;
    encoder_budget -= plan.cost;
    out.num_scheduled_tokens += plan.num_new_tokens;
    out.num_scheduled_encoder_cost += plan.cost;
    const int64_t num_new_tokens = plan.num_new_tokens;
    out.scheduled.push_back(describe(seq, num_new_tokens, admitted, std::move(plan)));
    seq.set_num_computed_tokens(seq.num_computed_tokens() + num_new_tokens);
    scheduled_seqs.push_back(&seq);
  };

  // Preempted from outside since the last step: the runner drops their state like any other preemption.
  out.preempted_seq_ids = std::move(preempted_since_step_);
  preempted_since_step_.clear();
  bool preempted_this_step = false;

  // Running sequences, oldest first: decodes and the next chunks of partial prefills.
  size_t running_idx = 0;
  while (running_idx < running_.size() && token_budget > 0) {
    Sequence& seq = *running_[running_idx];
    const int64_t num_new_tokens = std::min(seq.num_tokens() - seq.num_computed_tokens(), token_budget);
    FOVEA_CHECK(num_new_tokens > 0, "running sequence {} has nothing to compute", seq.seq_id());
    EncoderPlan plan = plan_encoder_inputs(seq, seq.num_computed_tokens(), num_new_tokens, encoder_budget);
    if (plan.num_new_tokens == 0) {
      ++running_idx;  // its image cannot run this step; later sequences may still fit
      continue;
    }
    bool allocated = false;
    while (!allocated) {
      allocated = kv_cache_manager_.allocate_slots(seq, plan.num_new_tokens, nullptr, config_.num_lookahead_tokens);
      if (allocated) break;
      // Out of blocks: preempt the newest running sequence (possibly this one) and retry.
      Sequence* victim = running_.back();
      running_.pop_back();
      preempt(*victim);
      out.preempted_seq_ids.push_back(victim->seq_id());
      preempted_this_step = true;
      if (victim == &seq) break;
    }
    if (!allocated) break;
    record(seq, std::move(plan), false);
    ++running_idx;
  }

  // Waiting sequences in order, unless this step had to preempt (then memory is short).
  while (!preempted_this_step && !waiting_.empty() && token_budget > 0 &&
         static_cast<int64_t>(running_.size()) < config_.max_num_seqs) {
    Sequence& seq = *waiting_.front();
    const PrefixCacheHit hit = kv_cache_manager_.find_prefix_hit(seq);
    const int64_t num_new_tokens = std::min(seq.num_tokens() - hit.num_tokens, token_budget);
    EncoderPlan plan = plan_encoder_inputs(seq, hit.num_tokens, num_new_tokens, encoder_budget);
    if (plan.num_new_tokens == 0 ||
        !kv_cache_manager_.allocate_slots(seq, plan.num_new_tokens, &hit, config_.num_lookahead_tokens)) {
      release_encoder_holds(seq);
      break;
    }
    waiting_.pop_front();
    seq.set_status(SequenceStatus::kRunning);
    seq.set_num_computed_tokens(hit.num_tokens);
    if (seq.num_prefix_cached_tokens() < 0) seq.set_num_prefix_cached_tokens(hit.num_tokens);
    insert_running(&seq);
    record(seq, std::move(plan), true);
  }

  for (const Sequence* seq : scheduled_seqs) release_consumed_encoder_holds(*seq);
  out.finished_seq_ids = std::move(finished_since_step_);
  finished_since_step_.clear();
  out.evicted_encoder_hashes = encoder_cache_.take_evicted();
  step_in_flight_ = true;
  return out;
}

FinishReason Scheduler::stop_reason(const Sequence& seq) const {
  const Request& request = seq.request();
  const int32_t last_token_id = seq.token_ids().back();
  if (seq.num_output_tokens() >= request.min_tokens &&
      std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), last_token_id) !=
          request.stop_token_ids.end()) {
    return FinishReason::kStopToken;
  }
  if (seq.num_output_tokens() >= request.max_tokens) return FinishReason::kMaxTokens;
  if (seq.num_tokens() >= config_.max_model_len) return FinishReason::kMaxModelLen;
  return FinishReason::kNone;
}

std::vector<std::unique_ptr<Sequence>> Scheduler::update(const SchedulerOutput& output,
                                                         std::span<const SampledToken> sampled) {
  FOVEA_CHECK(step_in_flight_, "update() called without a schedule() before it");
  step_in_flight_ = false;
  std::vector<std::unique_ptr<Sequence>> finished;
  size_t sampled_idx = 0;
  for (const ScheduledSequence& entry : output.scheduled) {
    if (!entry.samples) continue;
    FOVEA_CHECK(sampled_idx < sampled.size() && sampled[sampled_idx].seq_id == entry.seq_id,
                "the runner returned no sampled token for sequence {} (tokens must follow the scheduled order)",
                entry.seq_id);
    const int32_t token_id = sampled[sampled_idx++].token_id;
    const auto it = sequences_.find(entry.seq_id);
    if (it == sequences_.end() || it->second->status() != SequenceStatus::kRunning) continue;  // gone mid-step
    Sequence& seq = *it->second;
    FOVEA_CHECK(seq.num_computed_tokens() == seq.num_tokens(), "sequence {} sampled before reaching its end",
                seq.seq_id());
    seq.append_token(token_id);
    const FinishReason reason = stop_reason(seq);
    if (reason == FinishReason::kNone) continue;
    remove_from_queues(&seq);
    finished.push_back(retire(seq, reason));
  }
  FOVEA_CHECK(sampled_idx == sampled.size(), "the runner returned {} sampled tokens, {} expected", sampled.size(),
              sampled_idx);
  return finished;
}

std::unique_ptr<Sequence> Scheduler::finish_sequence(SeqId seq_id, FinishReason reason) {
  FOVEA_CHECK(reason != FinishReason::kNone, "finish_sequence needs a reason");
  const auto it = sequences_.find(seq_id);
  if (it == sequences_.end()) return nullptr;
  Sequence& seq = *it->second;
  remove_from_queues(&seq);
  return retire(seq, reason);
}

std::vector<std::unique_ptr<Sequence>> Scheduler::abort_request(std::string_view request_id) {
  std::vector<std::unique_ptr<Sequence>> aborted;
  const auto it = request_seq_ids_.find(std::string(request_id));
  if (it == request_seq_ids_.end()) return aborted;
  const std::vector<SeqId> seq_ids = it->second;  // copied: retiring edits the map
  for (SeqId seq_id : seq_ids) aborted.push_back(finish_sequence(seq_id, FinishReason::kAbort));
  return aborted;
}

bool Scheduler::preempt_sequence(SeqId seq_id) {
  const auto it = sequences_.find(seq_id);
  if (it == sequences_.end() || it->second->status() != SequenceStatus::kRunning) return false;
  remove_from_queues(it->second.get());
  preempt(*it->second);
  preempted_since_step_.push_back(seq_id);
  return true;
}

const Sequence* Scheduler::find(SeqId seq_id) const {
  const auto it = sequences_.find(seq_id);
  return it == sequences_.end() ? nullptr : it->second.get();
}

std::vector<const Sequence*> Scheduler::sequences() const {
  std::vector<const Sequence*> out;
  out.reserve(sequences_.size());
  for (const auto& [seq_id, seq] : sequences_) out.push_back(seq.get());
  return out;
}

std::vector<SeqId> Scheduler::running_seq_ids() const {
  std::vector<SeqId> out;
  for (const Sequence* seq : running_) out.push_back(seq->seq_id());
  return out;
}

std::vector<SeqId> Scheduler::waiting_seq_ids() const {
  std::vector<SeqId> out;
  for (const Sequence* seq : waiting_) out.push_back(seq->seq_id());
  return out;
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats out;
  out.num_running = static_cast<int64_t>(running_.size());
  out.num_waiting = static_cast<int64_t>(waiting_.size());
  out.kv_cache_usage = kv_cache_manager_.usage();
  out.num_preemptions = num_preemptions_;
  out.num_encoder_runs = num_encoder_runs_;
  out.num_encoder_cache_hits = num_encoder_cache_hits_;
  out.prefix_cache = kv_cache_manager_.prefix_cache_stats();
  return out;
}

}  // namespace fovea::engine
