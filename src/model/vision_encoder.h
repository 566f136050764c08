// VisionEncoder: the Qwen3-VL vision tower as backend ops (spec §2.4): patch embedding as a linear map, the
// bilinearly resampled position table (host code, see vision_patch_layout.h), 2-D rotary, pre-norm blocks with
// segment attention per image / temporal patch, the 2x2 patch merger and the DeepStack mergers.
// Must not contain image preprocessing (src/vision) or decoder code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "io/model_config.h"
#include "model/vision_patch_layout.h"
#include "model/vision_weights.h"
#include "model/vision_workspace.h"

namespace fovea::model {

// One image (or video) for the encoder: vision::PreprocessedImage's pixel_values and grid_thw.
struct VisionImage {
  std::span<const float> pixel_values;  // [t * h * w, in_channels * temporal_patch_size * patch_size^2] f32
  VisionGrid grid;
};

class VisionEncoder {
 public:
  // Allocates the workspace and keeps a host fp32 copy of the position table. `weights` must outlive the encoder.
  static base::Result<std::unique_ptr<VisionEncoder>> create(backend::Backend& backend, const io::VisionConfig& config,
                                                             const VisionWeights& weights, tensor::DType act,
                                                             int64_t max_num_patches);

  // Encodes images into embeds [sum of tokens, out_hidden_size] act (tokens of an image: t * h * w / m^2, images in
  // order) and deepstack[k] of the same shape, one per DeepStack merger. Inputs that break the limits or do not
  // match their grids are errors and nothing is written.
  base::Status encode(std::span<const VisionImage> images, const backend::Tensor& embeds,
                      std::span<const backend::Tensor> deepstack);

  int64_t num_tokens(const VisionGrid& grid) const;
  int64_t num_deepstack() const { return static_cast<int64_t>(weights_->deepstack_mergers.size()); }
  int64_t out_hidden_size() const { return config_->out_hidden_size; }
  int64_t max_num_patches() const { return max_num_patches_; }
  uint64_t workspace_bytes() const { return workspace_bytes_; }

 private:
  VisionEncoder(backend::Backend& backend, const io::VisionConfig& config, const VisionWeights& weights,
                tensor::DType act, int64_t max_num_patches);

  base::Status validate(std::span<const VisionImage> images, const backend::Tensor& embeds,
                        std::span<const backend::Tensor> deepstack, int64_t* num_patches) const;
  base::Status upload_inputs(std::span<const VisionImage> images, int64_t num_patches);
  base::Status run_block(const VisionBlockWeights& block, int64_t num_patches);
  base::Status run_merger(const PatchMergerWeights& merger, int64_t num_patches, const backend::Tensor& out);
  // Host fp32 rows into act-dtype device rows (converted through host_staging_ when act is not f32).
  base::Status upload_rows(const float* values, const backend::Tensor& dst);

  backend::Backend* backend_;       // not owned
  const io::VisionConfig* config_;  // not owned (the model's config)
  const VisionWeights* weights_;    // not owned
  tensor::DType act_;
  int64_t max_num_patches_;
  int64_t patch_dim_;
  int64_t side_;  // the position table is side x side
  backend::GeluKind block_gelu_ = backend::GeluKind::kTanh;
  float attention_scale_ = 1.0f;
  std::unique_ptr<backend::Buffer> buffer_;  // owned: the workspace allocation
  VisionWorkspace ws_;                       // views into buffer_
  uint64_t workspace_bytes_ = 0;
  std::vector<float> pos_table_;         // [side * side, Hv] f32 host copy of pos_embed
  std::vector<float> host_rows_f32_;     // [kUploadChunkRows, max(patch_dim, Hv)] f32 scratch
  std::vector<uint16_t> host_staging_;   // [kUploadChunkRows, max(patch_dim, Hv)] bf16 / f16 before upload
  std::vector<PosEmbedTaps> host_taps_;  // [N]
  std::vector<int32_t> host_coords_;     // [2 * N]: rows, then cols
  int64_t num_segments_ = 0;             // attention segments of the current call
  int64_t max_segment_patches_ = 0;      // patches of its longest segment
};

}  // namespace fovea::model
