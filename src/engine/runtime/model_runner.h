// ModelRunner: executes one scheduler step on the model: drops the state of preempted/finished sequences and
// evicted images, runs the vision encoder for the images the step schedules (embeddings kept by content hash),
// builds the decoder's varlen inputs (ids, 3-D positions with the rope delta past the prompt, slot mapping, block
// tables, logits rows, the image rows each chunk covers) and returns the logits of the sequences that sample.
// Called by one thread at a time: the engine thread, or at tensor parallelism its rank's thread (RankGroupRunner).
// Must not contain scheduling or sampling decisions.
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
#include "engine/runtime/step_runner.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace fovea::engine {

// How the runner drives the model.
struct ModelRunnerOptions {
  // Pure decode steps run op by op instead of replaying CUDA graphs (vLLM's --enforce-eager). Graphs exist only on
  // the CUDA backend; elsewhere every step runs op by op anyway.
  bool enforce_eager = false;
  // Copy the logits to the host. Tensor-parallel ranks other than 0 compute the same full-vocabulary logits and
  // leave them on the device (rank 0's go to the sampler).
  bool copy_logits = true;
};

class ModelRunner final : public StepRunner {
 public:
  // `model` and `backend` must outlive the runner; the runner owns the KV cache. Sets the decoder's graph mode.
  ModelRunner(backend::Backend& backend, model::Model& model, model::KvCache cache, ModelRunnerOptions options = {});

  void add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt) override;
  void remove_prompt(const std::string& request_id) override;

  base::Result<RunnerOutput> execute(const SchedulerOutput& output) override;

  const model::KvCache& kv_cache() const { return cache_; }
  int64_t num_stored_images() const { return static_cast<int64_t>(embeddings_.size()); }

 private:
  struct ImageEmbeddings {
    std::unique_ptr<backend::Buffer> buffer;  // owned: embeds then each DeepStack tensor
    backend::Tensor embeds;                   // [tokens, hidden] act
    std::vector<backend::Tensor> deepstack;   // [num_deepstack] x [tokens, hidden] act
  };

  // Encodes the images this step reaches first (not stored yet) in one VisionEncoder::encode_each call, so that
  // in --mm-encoder-tp-mode data the ranks share them; adds each request's share of the encoder time to `result`.
  base::Status encode_new_images(const SchedulerOutput& output, RunnerOutput& result);
  const ProcessedPrompt* prompt_of(const Request& request) const;
  int32_t position(const ProcessedPrompt& prompt, int64_t axis, int64_t token_idx) const;

  backend::Backend* backend_;  // not owned
  model::Model* model_;        // not owned
  model::KvCache cache_;
  bool copy_logits_ = true;
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
