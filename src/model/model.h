// Model: a loaded Qwen3 or Qwen3-VL model on one backend: its config, weights (checkpoint or dummy), the text
// decoder and, for qwen3_vl, the vision encoder, with their preallocated workspaces. The KV cache is the caller's
// (allocate_kv_cache). Under tensor parallelism there is one Model per rank (ModelOptions::tp_*), holding that rank's
// shards, driven by one thread per rank with the same calls. Must not contain scheduling, sampling or HTTP concerns.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "base/status.h"
#include "io/model_config.h"
#include "io/weight_table.h"
#include "model/kv_cache.h"
#include "model/model_options.h"
#include "model/text_decoder.h"
#include "model/text_weights.h"
#include "model/vision_encoder.h"
#include "model/vision_weights.h"
#include "model/weight_loader.h"

namespace fovea::model {

class Model {
 public:
  // Reads MODEL_DIR/config.json, checks options.quantization against its quantization_config, then the weights
  // (Linears in the checkpoint's format, dense or quantized; or dummy dense ones; rank options.tp_rank's shards when
  // options.tp_size > 1) and allocates the workspaces. Refuses a tensor-parallel size that does not split the
  // model, and tp_size > 1 without this rank's communicator.
  static base::Result<std::unique_ptr<Model>> load(const std::string& model_dir, backend::Backend& backend,
                                                   const ModelOptions& options);

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model();

  const io::ModelConfig& config() const { return config_; }
  const ModelOptions& options() const { return options_; }
  TextDecoder& decoder() { return *decoder_; }
  // nullptr for text-only models or when max_vision_patches is 0.
  VisionEncoder* vision_encoder() { return vision_encoder_.get(); }

  // A KV cache for this model's layers (the engine decides num_blocks from the memory left); under tensor
  // parallelism, of this rank's KV heads.
  base::Result<KvCache> allocate_kv_cache(int64_t num_blocks, int64_t block_size, tensor::DType kv_dtype) const;
  // Bytes of one KV block on this rank (kv_cache_bytes_per_block of rank_text_config()).
  uint64_t kv_cache_bytes_per_block(int64_t block_size, tensor::DType kv_dtype) const;
  // The decoder's shape on this rank: heads, KV heads and MLP width per rank (config().text_config at TP=1).
  const io::TextConfig& rank_text_config() const { return decoder_->rank_config(); }

  // Bytes of this rank's weights.
  uint64_t weight_bytes() const { return loader_.weight_bytes(); }
  // True when `--quantization fp8` quantized an unquantized checkpoint's Linears at load time.
  bool quantized_to_fp8_at_load() const { return loader_.quantizes_linears_to_fp8(); }
  // Device bytes of the decoder and vision workspaces.
  uint64_t workspace_bytes() const;

 private:
  Model(backend::Backend& backend, io::ModelConfig config, ModelOptions options, std::unique_ptr<io::WeightTable> table,
        WeightLoader loader);

  backend::Backend* backend_;  // not owned
  io::ModelConfig config_;
  ModelOptions options_;
  std::unique_ptr<io::WeightTable> table_;  // owned: the mapped checkpoint (null for dummy weights)
  WeightLoader loader_;                     // owns the weights' buffers
  TextWeights text_weights_;
  VisionWeights vision_weights_;
  std::unique_ptr<TextDecoder> decoder_;
  std::unique_ptr<VisionEncoder> vision_encoder_;
};

}  // namespace fovea::model
