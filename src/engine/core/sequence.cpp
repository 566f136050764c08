// Sequence: token growth with incremental block hashing (images and cache salt as extra keys), status changes.
// Must not contain scheduling policy or block accounting.
#include "engine/core/sequence.h"

#include <utility>

#include "base/check.h"

namespace fovea::engine {

const char* sequence_status_name(SequenceStatus status) {
  switch (status) {
    case SequenceStatus::kWaiting:
      return "waiting";
    case SequenceStatus::kRunning:
      return "running";
    case SequenceStatus::kPreempted:
      return "preempted";
    case SequenceStatus::kFinished:
      return "finished";
  }
  return "unknown";
}

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return "none";
    case FinishReason::kStopToken:
      return "stop_token";
    case FinishReason::kStopString:
      return "stop_string";
    case FinishReason::kMaxTokens:
      return "max_tokens";
    case FinishReason::kMaxModelLen:
      return "max_model_len";
    case FinishReason::kAbort:
      return "abort";
  }
  return "unknown";
}

Sequence::Sequence(SeqId seq_id, std::shared_ptr<const Request> request, int32_t child_idx, uint64_t priority_order,
                   int64_t block_size)
    : seq_id_(seq_id),
      request_(std::move(request)),
      child_idx_(child_idx),
      priority_order_(priority_order),
      block_size_(block_size),
      token_ids_(request_->prompt_token_ids),
      num_prompt_tokens_(static_cast<int64_t>(request_->prompt_token_ids.size())) {
  FOVEA_CHECK(block_size_ > 0, "block size {} must be positive", block_size_);
  extend_block_hashes();
}

void Sequence::append_token(int32_t token_id) {
  FOVEA_CHECK(!is_finished(), "sequence {} is finished and takes no more tokens", seq_id_);
  token_ids_.push_back(token_id);
  extend_block_hashes();
}

void Sequence::set_num_computed_tokens(int64_t num_computed_tokens) {
  FOVEA_CHECK(num_computed_tokens >= 0 && num_computed_tokens <= num_tokens(),
              "sequence {}: {} computed tokens out of {}", seq_id_, num_computed_tokens, num_tokens());
  num_computed_tokens_ = num_computed_tokens;
}

void Sequence::finish(FinishReason reason) {
  FOVEA_CHECK(reason != FinishReason::kNone && !is_finished(), "sequence {} finished twice", seq_id_);
  FOVEA_CHECK(block_ids_.empty(), "sequence {} finished while holding {} blocks", seq_id_, block_ids_.size());
  status_ = SequenceStatus::kFinished;
  finish_reason_ = reason;
}

void Sequence::preempt() {
  FOVEA_CHECK(status_ == SequenceStatus::kRunning, "sequence {} preempted while {}", seq_id_,
              sequence_status_name(status_));
  FOVEA_CHECK(block_ids_.empty(), "sequence {} preempted while holding {} blocks", seq_id_, block_ids_.size());
  status_ = SequenceStatus::kPreempted;
  num_computed_tokens_ = 0;
  ++num_preemptions_;
}

void Sequence::extend_block_hashes() {
  const std::vector<MultimodalInput>& inputs = request_->multimodal_inputs;
  std::vector<BlockImageKey> images;
  while (static_cast<int64_t>(block_hashes_.size() + 1) * block_size_ <= num_tokens()) {
    const int64_t block_idx = static_cast<int64_t>(block_hashes_.size());
    const int64_t start_idx = block_idx * block_size_;
    const int64_t end_idx = start_idx + block_size_;
    images.clear();
    // Images are few and sorted; a block's keys are those whose placeholder range overlaps [start_idx, end_idx).
    for (const MultimodalInput& input : inputs) {
      if (input.placeholder_start_idx >= end_idx) break;
      if (input.placeholder_start_idx + input.num_placeholder_tokens > start_idx) {
        images.push_back({input.content_hash, input.placeholder_start_idx - start_idx});
      }
    }
    const BlockHash& parent = block_hashes_.empty() ? root_block_hash() : block_hashes_.back();
    const std::string_view salt = block_idx == 0 ? std::string_view(request_->cache_salt) : std::string_view();
    const auto tokens =
        std::span<const int32_t>(token_ids_).subspan(static_cast<size_t>(start_idx), static_cast<size_t>(block_size_));
    block_hashes_.push_back(hash_block(parent, tokens, images, salt));
  }
}

}  // namespace fovea::engine
