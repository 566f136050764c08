// DecoderStepGraphs: pure decode steps (one new token per sequence, no vision rows) rounded up to a fixed set of
// shapes, "buckets" of (sequences, block-table width), and the graph captured for each bucket, so the decoder can
// replay a whole decode step with one launch. Padding rows store no K/V (slot -1) and their logits are dropped.
// Must not contain forward code (TextDecoder enqueues, captures and replays) or scheduling.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "backend/graph.h"
#include "base/status.h"
#include "model/decoder_step.h"
#include "model/kv_cache.h"
#include "model/model_options.h"

namespace fovea::model {

enum class DecodeGraphMode : uint8_t {
  kOff,          // every step runs op by op as given (vLLM's --enforce-eager)
  kPaddedEager,  // pure decode steps are padded to their bucket as for kGraphs, then run op by op (checks)
  kGraphs,       // pure decode steps replay their bucket's graph (captured at first use); others run op by op
};

struct DecodeBucket {
  int64_t num_seqs = 0;        // rows of the padded step (tokens == sequences == logits rows)
  int64_t blocks_per_seq = 0;  // block-table width, a power of two; max_seq_len is width * block_size

  auto operator<=>(const DecodeBucket&) const = default;
};

class DecoderStepGraphs {
 public:
  explicit DecoderStepGraphs(const TextLimits& limits);

  // Sequence counts a decode step is rounded up to: 1, 2, 4, 8, 16, 24, 32, 48, 64, 96, ... up to
  // min(max_num_seqs, max_num_batched_tokens, kMaxBucketSeqs) (which is always one); larger steps run op by op.
  static constexpr int64_t kMaxBucketSeqs = 512;
  const std::vector<int64_t>& batch_buckets() const { return batch_buckets_; }

  // `step` (already validated) padded to its bucket when it is a pure decode step that fits one; nullptr
  // otherwise. The result's spans point into this object and stay valid until the next call.
  const DecoderStep* pad(const DecoderStep& step, int64_t block_size);
  const DecodeBucket& bucket() const { return bucket_; }

  // The graph of the last padded step's bucket, or nullptr. Drops every graph first when they were captured over
  // another KV cache or one of them went stale (the backend released memory it uses).
  backend::Graph* find(const KvCache& cache);
  // Whether the last bucket's capture failed before (it then runs op by op and is not captured again).
  bool capture_failed() const { return failed_.contains(bucket_); }
  // Keeps the outcome of capturing the last bucket: the graph, or the error (kept for reports).
  void store(base::Result<std::unique_ptr<backend::Graph>> graph);

  int64_t num_graphs() const { return static_cast<int64_t>(graphs_.size()); }
  // The first capture error seen (ok when every capture worked).
  const base::Status& first_capture_error() const { return first_error_; }

 private:
  TextLimits limits_;
  std::vector<int64_t> batch_buckets_;
  DecodeBucket bucket_;
  std::map<DecodeBucket, std::unique_ptr<backend::Graph>> graphs_;
  std::set<DecodeBucket> failed_;
  std::pair<const void*, int64_t> cache_identity_{nullptr, 0};  // first layer's K buffer and offset
  base::Status first_error_;
  // The padded step's arrays (capacity reserved once, so padding allocates nothing).
  std::vector<int32_t> token_ids_;
  std::vector<int32_t> positions_;
  std::vector<int32_t> slot_mapping_;
  std::vector<int32_t> query_start_loc_;
  std::vector<int32_t> seq_lens_;
  std::vector<int32_t> block_tables_;
  std::vector<int32_t> logits_rows_;
  DecoderStep padded_;
};

}  // namespace fovea::model
