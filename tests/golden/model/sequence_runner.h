// SequenceRunner: a test-local model runner for ONE sequence over a simple paged cache (contiguous blocks 0, 1, ...):
// vision encoding of its images, prefill in chunks of any size with the vision rows split across chunks, and
// decode steps with Qwen3-VL positions (cache position + rope_delta). Must not contain assertions on results.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "model/model.h"
#include "model/mrope_positions.h"
#include "vision/preprocessed_image.h"

namespace fovea::model::testing {

class SequenceRunner {
 public:
  // `images` in prompt order; their placeholders are the runs of image_token_id in `prompt_ids`.
  static base::Result<std::unique_ptr<SequenceRunner>> create(backend::Backend& backend, Model& model,
                                                              std::vector<int32_t> prompt_ids,
                                                              const std::vector<vision::PreprocessedImage>& images,
                                                              int64_t max_new_tokens, int64_t block_size);

  // Computes the whole prompt in chunks of chunk_tokens; returns the last position's logits (f32).
  base::Result<std::vector<float>> prefill(int64_t chunk_tokens);
  // Appends `token` and computes it; returns its logits.
  base::Result<std::vector<float>> decode(int32_t token);

  int64_t rope_delta() const { return rope_delta_; }
  const std::vector<VisualSegment>& segments() const { return segments_; }

 private:
  SequenceRunner(backend::Backend& backend, Model& model) : backend_(&backend), model_(&model) {}

  // Runs tokens [begin, end) of tokens_ (already in the cache before begin); logits of the last one.
  base::Result<std::vector<float>> run_chunk(int64_t begin, int64_t end);
  int32_t position(int64_t axis, int64_t token_idx) const;

  backend::Backend* backend_;  // not owned
  Model* model_;               // not owned
  std::vector<int32_t> tokens_;
  int64_t num_prompt_tokens_ = 0;
  std::vector<VisualSegment> segments_;
  std::vector<int32_t> prompt_positions_;  // [3 * prompt] (qwen3_vl) or empty (qwen3)
  int64_t rope_delta_ = 0;
  KvCache cache_;
  std::vector<int32_t> block_table_;
  std::unique_ptr<backend::Buffer> vision_buffer_;  // embeddings and DeepStack rows of every image
  backend::Tensor embeds_;                          // [image tokens, H] act
  std::vector<backend::Tensor> deepstack_;          // [k] x [image tokens, H] act
};

}  // namespace fovea::model::testing
