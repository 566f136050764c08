// VisionEncoder: the Qwen3-VL vision tower as backend ops (spec §2.4): patch embedding as a linear map, the
// bilinearly resampled position table (host code, see vision_patch_layout.h), 2-D rotary, pre-norm blocks with
// segment attention per image / temporal patch, the 2x2 patch merger and the DeepStack mergers. Under tensor
// parallelism it runs on every rank at once: sharded weights and all-reduces (--mm-encoder-tp-mode weights) or whole
// weights with the images split over the ranks (data). Must not contain image preprocessing (src/vision) or decoder
// code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "backend/communicator.h"
#include "base/status.h"
#include "base/thread_pool.h"
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

// Where one image's encoder outputs go (encode_each).
struct VisionOutput {
  backend::Tensor embeds;                  // [tokens, out_hidden_size] act, packed
  std::vector<backend::Tensor> deepstack;  // one per DeepStack merger, same shape
};

// How the encoder is split over tensor-parallel ranks (docs/TENSOR_PARALLEL.md). Every rank's encoder gets the same
// calls with the same images at the same time.
struct VisionParallel {
  int tp_size = 1;
  int tp_rank = 0;
  // --mm-encoder-tp-mode weights (true): heads and MLP widths split, row-parallel outputs all-reduced. data (false):
  // whole weights; encode_each gives each rank a share of the images and the ranks exchange the results.
  bool shard_weights = true;
  backend::Communicator* communicator = nullptr;  // not owned; this rank's; required when tp_size > 1

  bool sharded() const { return tp_size > 1 && shard_weights; }
  bool data_parallel() const { return tp_size > 1 && !shard_weights; }
};

// Data mode: which rank encodes each image. Balanced by patches and deterministic (the same on every rank): images
// in decreasing patch count (ties: lower index first) each go to the rank with the fewest patches so far (ties: the
// lower rank). Returns the rank of each image, in image order.
std::vector<int> assign_images_to_ranks(std::span<const int64_t> num_patches, int num_ranks);

class VisionEncoder {
 public:
  // Allocates the workspace and keeps a host fp32 copy of the position table. `weights` must outlive the encoder;
  // with `parallel.sharded()` they are this rank's shards (io::TensorParallelLayout), checked here.
  static base::Result<std::unique_ptr<VisionEncoder>> create(backend::Backend& backend, const io::VisionConfig& config,
                                                             const VisionWeights& weights, tensor::DType act,
                                                             int64_t max_num_patches,
                                                             const VisionParallel& parallel = {});

  // Encodes images into embeds [sum of tokens, out_hidden_size] act (tokens of an image: t * h * w / m^2, images in
  // order) and deepstack[k] of the same shape, one per DeepStack merger, in one pass. Inputs that break the limits or
  // do not match their grids are errors and nothing is written. In data mode every rank encodes all the images
  // (use encode_each to split them).
  base::Status encode(std::span<const VisionImage> images, const backend::Tensor& embeds,
                      std::span<const backend::Tensor> deepstack);

  // Encodes each image on its own into outputs[i] (as encode() of that one image). In data mode each rank encodes
  // the images assign_images_to_ranks gives it and every rank ends with all the outputs (see encode_each's body).
  base::Status encode_each(std::span<const VisionImage> images, std::span<const VisionOutput> outputs);

  int64_t num_tokens(const VisionGrid& grid) const;
  int64_t num_deepstack() const { return static_cast<int64_t>(weights_->deepstack_mergers.size()); }
  int64_t out_hidden_size() const { return config_->out_hidden_size; }
  int64_t max_num_patches() const { return max_num_patches_; }
  uint64_t workspace_bytes() const { return workspace_bytes_; }

 private:
  VisionEncoder(backend::Backend& backend, const io::VisionConfig& config, const VisionWeights& weights,
                tensor::DType act, int64_t max_num_patches, const VisionParallel& parallel);

  base::Status check_weight_shapes() const;

  base::Status validate(std::span<const VisionImage> images, const backend::Tensor& embeds,
                        std::span<const backend::Tensor> deepstack, int64_t* num_patches) const;
  base::Status upload_inputs(std::span<const VisionImage> images, int64_t num_patches);
  base::Status run_block(const VisionBlockWeights& block, int64_t num_patches);
  base::Status run_merger(const PatchMergerWeights& merger, int64_t num_patches, const backend::Tensor& out);
  // encode() after validation.
  base::Status encode_validated(std::span<const VisionImage> images, int64_t num_patches, const backend::Tensor& embeds,
                                std::span<const backend::Tensor> deepstack);
  // The bias a row-parallel Linear adds: the whole bias on rank 0, none on the others (the all-reduce adds it once).
  const backend::Tensor* row_parallel_bias(const backend::Tensor& bias) const;
  // out = x · wᵀ + bias of a row-parallel Linear (attn.proj, mlp.linear_fc2, the mergers' linear_fc2), summed over
  // the ranks in weights mode: with a bf16/f16 activation every rank's partial sum is made and all-reduced in f32
  // (ws_.partial) and rounded once into out, as TP=1 rounds its one sum. TP=1 and data mode: the Linear alone.
  base::Status row_parallel_linear(const backend::Tensor& x, const backend::Weight& w, const backend::Tensor& bias,
                                   const backend::Tensor& out);
  // Data mode: `rows` set to zero (through host_zeros_), before the all-reduce that gathers every rank's images.
  base::Status zero_rows(const backend::Tensor& rows);
  // The pixel rows of all images in act dtype into ws_.pixels with one copy (converted on host_pool_ into
  // host_pixel_staging_ unless act is f32).
  base::Status upload_pixels(std::span<const VisionImage> images, int64_t num_patches);
  // The resampled position rows of host_taps_ in act dtype (fp32 sums, one rounding) into host_pos_staging_ on
  // host_pool_, then one copy into ws_.pos.
  base::Status upload_pos_embed(int64_t num_patches);

  backend::Backend* backend_;       // not owned
  const io::VisionConfig* config_;  // not owned (the model's config)
  const VisionWeights* weights_;    // not owned
  tensor::DType act_;
  int64_t max_num_patches_;
  VisionParallel parallel_;
  int64_t local_heads_;  // attention heads of this rank (all of them unless weights are sharded)
  int64_t patch_dim_;
  int64_t side_;  // the position table is side x side
  backend::GeluKind block_gelu_ = backend::GeluKind::kTanh;
  float attention_scale_ = 1.0f;
  std::unique_ptr<backend::Buffer> buffer_;  // owned: the workspace allocation
  VisionWorkspace ws_;                       // views into buffer_
  uint64_t workspace_bytes_ = 0;
  std::vector<float> pos_table_;                 // [side * side, Hv] f32 host copy of pos_embed
  std::unique_ptr<base::ThreadPool> host_pool_;  // converts and resamples the inputs on the host in parallel
  std::vector<std::byte> host_pixel_staging_;    // [N, patch_dim] act, grown to the largest call (not with f32 act)
  std::vector<std::byte> host_pos_staging_;      // [N, Hv] act, grown to the largest call
  std::vector<PosEmbedTaps> host_taps_;          // [N]
  std::vector<int32_t> host_coords_;             // [2 * N]: rows, then cols
  std::vector<int32_t> host_rows_;               // [N] patch rows (scratch for host_coords_)
  std::vector<int32_t> host_cols_;               // [N] patch cols
  std::vector<int32_t> host_cu_seqlens_;         // [segments + 1]
  std::vector<VisionGrid> host_grids_;           // the grids of the current call
  // The grids whose position rows, rotary coordinates and segments ws_ holds now (empty: none). A call with the same
  // grids (the same image sizes again) uploads only its pixels.
  std::vector<VisionGrid> uploaded_grids_;
  std::vector<std::byte> host_zeros_;  // data mode: zero bytes uploaded over the rows of other ranks' images
  int64_t num_segments_ = 0;           // attention segments of the current call
  int64_t max_segment_patches_ = 0;    // patches of its longest segment
};

}  // namespace fovea::model
