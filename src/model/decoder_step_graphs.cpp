// DecoderStepGraphs: bucket choice, padding of a decode step into fixed-shape arrays, and the graph table.
#include "model/decoder_step_graphs.h"

#include <algorithm>
#include <climits>

namespace fovea::model {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t next_power_of_two(int64_t value) {
  int64_t power = 1;
  while (power < value) power *= 2;
  return power;
}

}  // namespace

DecoderStepGraphs::DecoderStepGraphs(const TextLimits& limits) : limits_(limits) {
  const int64_t largest = std::min({limits.max_num_seqs, limits.max_num_batched_tokens, kMaxBucketSeqs});
  // 1, 2, 4, 8, 16, then alternately x1.5 and x4/3 (24, 32, 48, 64, 96, ...): powers of two and their halfway
  // points, so padding wastes at most a third of a bucket's rows beyond 16.
  for (int64_t size = 1; size <= largest;) {
    batch_buckets_.push_back(size);
    const bool power_of_two = (size & (size - 1)) == 0;
    size = size < 16 ? size * 2 : (power_of_two ? size / 2 * 3 : size / 3 * 4);
  }
  if (batch_buckets_.empty() || batch_buckets_.back() != largest) batch_buckets_.push_back(largest);
  const auto max_rows = static_cast<size_t>(batch_buckets_.back());
  token_ids_.reserve(max_rows);
  positions_.reserve(3 * max_rows);
  slot_mapping_.reserve(max_rows);
  query_start_loc_.reserve(max_rows + 1);
  seq_lens_.reserve(max_rows);
  block_tables_.reserve(max_rows * static_cast<size_t>(limits.max_blocks_per_seq));
  logits_rows_.reserve(max_rows);
}

const DecoderStep* DecoderStepGraphs::pad(const DecoderStep& step, int64_t block_size) {
  const size_t num_seqs = step.seq_lens.size();
  if (step.token_ids.size() != num_seqs || !step.visual.empty() || step.logits_rows.size() > num_seqs ||
      block_size < 1) {
    return nullptr;
  }
  for (size_t seq_idx = 0; seq_idx <= num_seqs; ++seq_idx) {
    if (step.query_start_loc[seq_idx] != static_cast<int32_t>(seq_idx)) return nullptr;
  }
  const auto found = std::lower_bound(batch_buckets_.begin(), batch_buckets_.end(), static_cast<int64_t>(num_seqs));
  if (found == batch_buckets_.end()) return nullptr;
  const int64_t needed_blocks = std::max(step.blocks_per_seq, ceil_div(std::max(step.max_seq_len, 1), block_size));
  const int64_t width = std::min(next_power_of_two(needed_blocks), limits_.max_blocks_per_seq);
  if (width < needed_blocks || width * block_size > INT_MAX) return nullptr;
  bucket_ = DecodeBucket{*found, width};

  const auto rows = static_cast<size_t>(bucket_.num_seqs);
  const size_t num_axes = step.positions.size() / num_seqs;  // 1 or 3 (validated by the decoder)
  token_ids_.assign(step.token_ids.begin(), step.token_ids.end());
  token_ids_.resize(rows, 0);
  positions_.assign(num_axes * rows, 0);
  for (size_t axis = 0; axis < num_axes; ++axis) {
    std::copy_n(step.positions.begin() + static_cast<std::ptrdiff_t>(axis * num_seqs), num_seqs,
                positions_.begin() + static_cast<std::ptrdiff_t>(axis * rows));
  }
  slot_mapping_.assign(step.slot_mapping.begin(), step.slot_mapping.end());
  slot_mapping_.resize(rows, -1);  // padding rows store nothing
  query_start_loc_.resize(rows + 1);
  for (size_t row = 0; row <= rows; ++row) query_start_loc_[row] = static_cast<int32_t>(row);
  seq_lens_.assign(step.seq_lens.begin(), step.seq_lens.end());
  seq_lens_.resize(rows, 1);  // a padding row attends to one key of block 0: any values, its output is dropped
  block_tables_.assign(rows * static_cast<size_t>(width), 0);
  for (size_t seq_idx = 0; seq_idx < num_seqs; ++seq_idx) {
    std::copy_n(step.block_tables.begin() + static_cast<std::ptrdiff_t>(seq_idx * step.blocks_per_seq),
                step.blocks_per_seq, block_tables_.begin() + static_cast<std::ptrdiff_t>(seq_idx * width));
  }
  logits_rows_.assign(step.logits_rows.begin(), step.logits_rows.end());
  for (size_t row = logits_rows_.size(); row < rows; ++row) logits_rows_.push_back(static_cast<int32_t>(row));

  padded_.token_ids = token_ids_;
  padded_.positions = positions_;
  padded_.slot_mapping = slot_mapping_;
  padded_.query_start_loc = query_start_loc_;
  padded_.seq_lens = seq_lens_;
  padded_.block_tables = block_tables_;
  padded_.blocks_per_seq = width;
  padded_.max_query_len = 1;
  padded_.max_seq_len = static_cast<int>(width * block_size);
  padded_.logits_rows = logits_rows_;
  return &padded_;
}

backend::Graph* DecoderStepGraphs::find(const KvCache& cache) {
  const backend::Tensor& first_k = cache.layers.front().k;
  const std::pair<const void*, int64_t> identity{first_k.buffer, first_k.offset_bytes};
  const bool any_stale = std::any_of(graphs_.begin(), graphs_.end(), [](const auto& entry) { return entry.second->stale(); });
  if (identity != cache_identity_ || any_stale) {
    graphs_.clear();
    failed_.clear();
    cache_identity_ = identity;
  }
  const auto found = graphs_.find(bucket_);
  return found == graphs_.end() ? nullptr : found->second.get();
}

void DecoderStepGraphs::store(base::Result<std::unique_ptr<backend::Graph>> graph) {
  if (graph.ok()) {
    graphs_[bucket_] = std::move(*graph);
    return;
  }
  failed_.insert(bucket_);
  if (first_error_.ok()) first_error_ = graph.status();
}

}  // namespace fovea::model
