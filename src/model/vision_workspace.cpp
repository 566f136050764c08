// VisionWorkspace layout: inputs (pixels, position rows, rotary coordinates, segments), then the block activations,
// then (sharded bf16/f16 only) the f32 partial sums.
#include "model/vision_workspace.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "base/checked_math.h"

namespace fovea::model {
namespace {

int64_t head_dim(const io::VisionConfig& config) { return config.hidden_size / config.num_heads; }

}  // namespace

VisionWorkspace VisionWorkspace::carve(ArenaCarver& carver, const io::VisionConfig& config, tensor::DType act,
                                       int64_t max_num_patches, int64_t num_shards) {
  using tensor::DType;
  const int64_t n = max_num_patches;
  const int64_t hidden = config.hidden_size;
  const int64_t patch_dim = config.in_channels * config.temporal_patch_size * config.patch_size * config.patch_size;
  VisionWorkspace ws;
  ws.pixels = carver.take(act, {n, patch_dim});
  ws.pos = carver.take(act, {n, hidden});
  ws.coords = carver.take(DType::kI32, {2 * n});
  ws.cu_seqlens = carver.take(DType::kI32, {n + 1});
  ws.x = carver.take(act, {n, hidden});
  ws.normed = carver.take(act, {n, hidden});
  ws.qkv = carver.take(act, {n, 3 * hidden / num_shards});
  ws.attn = carver.take(act, {n, hidden / num_shards});
  ws.mlp = carver.take(act, {n, config.intermediate_size / num_shards});
  ws.cos = carver.take(DType::kF32, {n, head_dim(config)});
  ws.sin = carver.take(DType::kF32, {n, head_dim(config)});
  if (num_shards > 1 && act != DType::kF32) ws.partial = carver.take(DType::kF32, {vision_partial_elements(config, n)});
  return ws;
}

int64_t vision_partial_elements(const io::VisionConfig& config, int64_t max_num_patches) {
  const int64_t merge_area = std::max<int64_t>(config.spatial_merge_size * config.spatial_merge_size, 1);
  const std::optional<int64_t> blocks = base::checked_mul(max_num_patches, config.hidden_size);
  const std::optional<int64_t> mergers = base::checked_mul(max_num_patches / merge_area, config.out_hidden_size);
  // An absurd config overflows: the carver then reports the workspace too large to address.
  if (!blocks || !mergers) return INT64_MAX;
  return std::max(*blocks, *mergers);
}

base::Result<uint64_t> vision_workspace_bytes(const io::VisionConfig& config, tensor::DType act,
                                              int64_t max_num_patches, int64_t num_shards) {
  const int64_t merge_area = config.spatial_merge_size * config.spatial_merge_size;
  if (max_num_patches < merge_area || max_num_patches > INT32_MAX / 2) {
    return base::invalid_argument("vision encoder limit of {} patches per call is outside {} to {}", max_num_patches,
                                  merge_area, INT32_MAX / 2);
  }
  if (num_shards < 1 || config.num_heads % num_shards != 0 || config.intermediate_size % num_shards != 0) {
    return base::invalid_argument(
        "vision_config: {} tensor-parallel shards do not divide num_heads {} and intermediate_size {}", num_shards,
        config.num_heads, config.intermediate_size);
  }
  ArenaCarver carver;
  VisionWorkspace::carve(carver, config, act, max_num_patches, num_shards);
  if (carver.overflowed()) {
    return base::out_of_range("the vision workspace for {} patches is too large to address", max_num_patches);
  }
  return carver.used_bytes();
}

}  // namespace fovea::model
