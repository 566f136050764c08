// ModelRunner: executes one scheduler step on the model: drops the state of preempted/finished sequences and
// evicted images, runs the vision encoder for the images the step schedules (embeddings kept by content hash),
// builds the decoder's varlen inputs (ids, 3-D positions with the rope delta past the prompt, slot mapping, block
// tables, logits rows, the image rows each chunk covers) and returns the logits of the sequences that sample.
// Owned and called by the engine thread only. Must not contain scheduling or sampling decisions.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "engine/core/scheduler_output.h"
#include "engine/runtime/input_processor.h"
#include "model/kv_cache.h"
#include "model/model.h"

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

// How the runner drives the model.
struct ModelRunnerOptions {
  // Pure decode steps run op by op instead of replaying CUDA graphs (vLLM's --enforce-eager). Graphs exist only on
  // the CUDA backend; elsewhere every step runs op by op anyway.
  bool enforce_eager = false;
};

class ModelRunner {
 public:
  // `model` and `backend` must outlive the runner; the runner owns the KV cache. Sets the decoder's graph mode.
  ModelRunner(backend::Backend& backend, model::Model& model, model::KvCache cache, ModelRunnerOptions options = {});

  // The prompt (pixels, positions) of a request, registered before its first step and dropped when it is done.
  void add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt);
  void remove_prompt(const std::string& request_id);

  base::Result<RunnerOutput> execute(const SchedulerOutput& output);

  const model::KvCache& kv_cache() const { return cache_; }
  int64_t num_stored_images() const { return static_cast<int64_t>(embeddings_.size()); }

 private:
  struct ImageEmbeddings {
    std::unique_ptr<backend::Buffer> buffer;  // owned: embeds then each DeepStack tensor
    backend::Tensor embeds;                   // [tokens, hidden] act
    std::vector<backend::Tensor> deepstack;   // [num_deepstack] x [tokens, hidden] act
  };

  base::Status encode_image(const PromptImage& image);
  const ProcessedPrompt* prompt_of(const Request& request) const;
  int32_t position(const ProcessedPrompt& prompt, int64_t axis, int64_t token_idx) const;

  backend::Backend* backend_;  // not owned
  model::Model* model_;        // not owned
  model::KvCache cache_;
  std::unordered_map<std::string, std::shared_ptr<const ProcessedPrompt>> prompts_;
  std::unordered_map<ContentHash, ImageEmbeddings, DigestHasher> embeddings_;
  // Step inputs, reused across steps (DecoderStep spans point into them).
  std::vector<int32_t> token_ids_;
  std::vector<int32_t> positions_;
  std::vector<int32_t> slot_mapping_;
  std::vector<int32_t> query_start_loc_;
  std::vector<int32_t> seq_lens_;
  std::vector<int32_t> block_tables_;
  std::vector<int32_t> logits_rows_;
};

}  // namespace fovea::engine
