// VisionEncoder: input validation, host-side position inputs, the block loop and the patch mergers.
#include "model/vision_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "backend/op_checks.h"
#include "base/check.h"
#include "base/checked_math.h"
#include "tensor/float_convert.h"

namespace fovea::model {
namespace {

using backend::Tensor;

constexpr float kNormEps = 1e-6f;          // every LayerNorm of the tower (HF hard-codes it)
constexpr int64_t kUploadChunkRows = 256;  // rows converted on the host per upload

Tensor reshaped_or_die(const Tensor& t, tensor::Shape shape) {
  base::Result<Tensor> view = t.reshaped(std::move(shape));
  FOVEA_CHECK(view.ok(), "{}", view.status().message());
  return *view;
}

int64_t head_dim(const io::VisionConfig& config) { return config.hidden_size / config.num_heads; }

// A weight tensor's values as host fp32 (the tensor may live on any device).
base::Result<std::vector<float>> to_host_floats(backend::Backend& backend, const Tensor& tensor) {
  std::vector<std::byte> bytes(static_cast<size_t>(tensor.numel() * tensor.element_size_bytes()));
  backend::Stream& stream = backend.default_stream();
  FOVEA_RETURN_IF_ERROR(backend.copy_to_host(stream, tensor, bytes.data()));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  std::vector<float> values(static_cast<size_t>(tensor.numel()));
  for (size_t idx = 0; idx < values.size(); ++idx) {
    if (tensor.dtype == tensor::DType::kF32) {
      std::memcpy(&values[idx], bytes.data() + idx * 4, 4);
    } else {
      uint16_t bits = 0;
      std::memcpy(&bits, bytes.data() + idx * 2, 2);
      values[idx] = tensor.dtype == tensor::DType::kBF16 ? tensor::bf16_to_float(bits) : tensor::f16_to_float(bits);
    }
  }
  return values;
}

}  // namespace

VisionEncoder::VisionEncoder(backend::Backend& backend, const io::VisionConfig& config, const VisionWeights& weights,
                             tensor::DType act, int64_t max_num_patches)
    : backend_(&backend),
      config_(&config),
      weights_(&weights),
      act_(act),
      max_num_patches_(max_num_patches),
      patch_dim_(config.in_channels * config.temporal_patch_size * config.patch_size * config.patch_size),
      side_(static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(config.num_position_embeddings))))) {
  block_gelu_ = config.hidden_act == "gelu" ? backend::GeluKind::kErf : backend::GeluKind::kTanh;
  attention_scale_ = static_cast<float>(std::pow(static_cast<double>(head_dim(config)), -0.5));
}

base::Result<std::unique_ptr<VisionEncoder>> VisionEncoder::create(backend::Backend& backend,
                                                                   const io::VisionConfig& config,
                                                                   const VisionWeights& weights, tensor::DType act,
                                                                   int64_t max_num_patches) {
  if (!backend::is_activation_dtype(act)) {
    return base::invalid_argument("activation dtype {} is not supported; use f32, bf16 or f16",
                                  tensor::dtype_name(act));
  }
  FOVEA_ASSIGN_OR_RETURN(uint64_t bytes, vision_workspace_bytes(config, act, max_num_patches));
  std::unique_ptr<VisionEncoder> encoder(new VisionEncoder(backend, config, weights, act, max_num_patches));
  FOVEA_ASSIGN_OR_RETURN(encoder->buffer_, backend.allocate(bytes));
  ArenaCarver carver(encoder->buffer_.get());
  encoder->ws_ = VisionWorkspace::carve(carver, config, act, max_num_patches);
  encoder->workspace_bytes_ = bytes;
  FOVEA_ASSIGN_OR_RETURN(encoder->pos_table_, to_host_floats(backend, weights.pos_embed));
  const auto chunk_elements = static_cast<size_t>(kUploadChunkRows * std::max(encoder->patch_dim_, config.hidden_size));
  encoder->host_rows_f32_.resize(chunk_elements);
  encoder->host_staging_.resize(chunk_elements);
  return encoder;
}

int64_t VisionEncoder::num_tokens(const VisionGrid& grid) const {
  const int64_t merge = config_->spatial_merge_size;
  return grid.t * (grid.h / merge) * (grid.w / merge);
}

base::Status VisionEncoder::validate(std::span<const VisionImage> images, const Tensor& embeds,
                                     std::span<const Tensor> deepstack, int64_t* num_patches) const {
  const int64_t merge = config_->spatial_merge_size;
  int64_t total_patches = 0;
  int64_t total_tokens = 0;
  if (images.empty()) return base::invalid_argument("vision encoder: no images to encode");
  for (size_t image_idx = 0; image_idx < images.size(); ++image_idx) {
    const VisionGrid& grid = images[image_idx].grid;
    const bool grid_ok =
        grid.t >= 1 && grid.h >= merge && grid.w >= merge && grid.h % merge == 0 && grid.w % merge == 0;
    if (!grid_ok) {
      return base::invalid_argument(
          "vision encoder: image {} has grid [{}, {}, {}]; h and w must be positive "
          "multiples of spatial_merge_size {}",
          image_idx, grid.t, grid.h, grid.w, merge);
    }
    const std::optional<int64_t> area = base::checked_mul(grid.h, grid.w);
    const std::optional<int64_t> patches = area ? base::checked_mul(grid.t, *area) : std::nullopt;
    if (!patches || *patches > max_num_patches_ - total_patches) {
      return base::invalid_argument(
          "vision encoder: the images have more than {} patches, the limit of one call; "
          "encode them in smaller groups",
          max_num_patches_);
    }
    total_patches += *patches;
    total_tokens += num_tokens(grid);
    const auto expected = static_cast<size_t>(grid.num_patches() * patch_dim_);
    if (images[image_idx].pixel_values.size() != expected) {
      return base::invalid_argument("vision encoder: image {} has {} pixel values; its grid needs {} ({} per patch)",
                                    image_idx, images[image_idx].pixel_values.size(), expected, patch_dim_);
    }
  }
  const tensor::Shape out_shape({total_tokens, config_->out_hidden_size});
  auto check_out = [&](const Tensor& out, const char* name) -> base::Status {
    if (out.shape != out_shape || out.dtype != act_) {
      return base::invalid_argument("vision encoder: {} is {} {}; pass {} {}", name, out.shape.to_string(),
                                    tensor::dtype_name(out.dtype), out_shape.to_string(), tensor::dtype_name(act_));
    }
    return base::Status();
  };
  FOVEA_RETURN_IF_ERROR(check_out(embeds, "embeds"));
  if (static_cast<int64_t>(deepstack.size()) != num_deepstack()) {
    return base::invalid_argument("vision encoder: {} DeepStack outputs passed; the model has {}", deepstack.size(),
                                  num_deepstack());
  }
  for (const Tensor& out : deepstack) FOVEA_RETURN_IF_ERROR(check_out(out, "a DeepStack output"));
  *num_patches = total_patches;
  return base::Status();
}

base::Status VisionEncoder::upload_rows(const float* values, const Tensor& dst) {
  backend::Stream& stream = backend_->default_stream();
  if (act_ == tensor::DType::kF32) return backend_->copy_from_host(stream, values, dst);
  const int64_t width = dst.dim(1);
  for (int64_t begin = 0; begin < dst.dim(0); begin += kUploadChunkRows) {
    const int64_t count = std::min(kUploadChunkRows, dst.dim(0) - begin);
    const float* src = values + begin * width;
    for (int64_t idx = 0; idx < count * width; ++idx) {
      host_staging_[static_cast<size_t>(idx)] =
          act_ == tensor::DType::kBF16 ? tensor::float_to_bf16(src[idx]) : tensor::float_to_f16(src[idx]);
    }
    FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(stream, host_staging_.data(), dst.slice_rows(begin, count)));
    // The staging rows are rewritten by the next chunk.
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  }
  return base::Status();
}

base::Status VisionEncoder::upload_inputs(std::span<const VisionImage> images, int64_t num_patches) {
  const int64_t merge = config_->spatial_merge_size;
  const int64_t hidden = config_->hidden_size;
  // Pixels, cast to the activation dtype first (HF: pixel_values.type(visual.dtype)).
  int64_t row = 0;
  for (const VisionImage& image : images) {
    const int64_t count = image.grid.num_patches();
    FOVEA_RETURN_IF_ERROR(upload_rows(image.pixel_values.data(), ws_.pixels.slice_rows(row, count)));
    row += count;
  }
  // Position-table taps, rotary coordinates and segments.
  host_taps_.clear();
  std::vector<int32_t> rows;
  std::vector<int32_t> cols;
  std::vector<VisionGrid> grids;
  for (const VisionImage& image : images) {
    append_pos_embed_taps(image.grid, merge, side_, host_taps_);
    append_patch_coordinates(image.grid, merge, rows, cols);
    grids.push_back(image.grid);
  }
  host_coords_ = rows;
  host_coords_.insert(host_coords_.end(), cols.begin(), cols.end());
  const std::vector<int32_t> cu_seqlens = vision_cu_seqlens(grids);
  num_segments_ = static_cast<int64_t>(cu_seqlens.size()) - 1;
  max_segment_patches_ = 0;
  for (const VisionGrid& grid : grids) max_segment_patches_ = std::max(max_segment_patches_, grid.h * grid.w);
  backend::Stream& stream = backend_->default_stream();
  FOVEA_RETURN_IF_ERROR(
      backend_->copy_from_host(stream, host_coords_.data(), prefix_view(ws_.coords, {2, num_patches})));
  FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(
      stream, cu_seqlens.data(), prefix_view(ws_.cu_seqlens, {static_cast<int64_t>(cu_seqlens.size())})));
  // The resampled position table, computed on the host in fp32 and rounded once to the activation dtype
  // (HF: pos_embeds.to(hidden_states.dtype)).
  for (int64_t begin = 0; begin < num_patches; begin += kUploadChunkRows) {
    const int64_t count = std::min(kUploadChunkRows, num_patches - begin);
    interpolate_pos_embed(
        std::span<const PosEmbedTaps>(host_taps_).subspan(static_cast<size_t>(begin), static_cast<size_t>(count)),
        pos_table_.data(), hidden, host_rows_f32_.data());
    FOVEA_RETURN_IF_ERROR(upload_rows(host_rows_f32_.data(), ws_.pos.slice_rows(begin, count)));
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  }
  return backend_->synchronize(stream);
}

base::Status VisionEncoder::encode(std::span<const VisionImage> images, const Tensor& embeds,
                                   std::span<const Tensor> deepstack) {
  int64_t num_patches = 0;
  FOVEA_RETURN_IF_ERROR(validate(images, embeds, deepstack, &num_patches));
  FOVEA_RETURN_IF_ERROR(upload_inputs(images, num_patches));
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  const Tensor pixels = ws_.pixels.slice_rows(0, num_patches);
  const Tensor x = ws_.x.slice_rows(0, num_patches);
  const Tensor pos = ws_.pos.slice_rows(0, num_patches);
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, pixels, weights_->patch_embed, &weights_->patch_embed_bias, x));
  FOVEA_RETURN_IF_ERROR(ops.add(stream, x, pos, x));
  backend::RopeConfig rope;
  rope.kind = backend::RopeKind::kVision2d;
  rope.theta = static_cast<float>(config_->rope_theta);
  rope.rotary_dim = static_cast<int>(head_dim(*config_));
  FOVEA_RETURN_IF_ERROR(ops.rope_cos_sin(stream, prefix_view(ws_.coords, {2, num_patches}), rope,
                                         ws_.cos.slice_rows(0, num_patches), ws_.sin.slice_rows(0, num_patches)));
  size_t next_deepstack = 0;
  for (int64_t block_idx = 0; block_idx < config_->depth; ++block_idx) {
    FOVEA_RETURN_IF_ERROR(run_block(weights_->blocks[static_cast<size_t>(block_idx)], num_patches));
    const auto& indexes = config_->deepstack_visual_indexes;
    for (size_t k = 0; k < indexes.size(); ++k) {
      if (indexes[k] != block_idx) continue;
      FOVEA_RETURN_IF_ERROR(run_merger(weights_->deepstack_mergers[k], num_patches, deepstack[k]));
      ++next_deepstack;
    }
  }
  FOVEA_CHECK(next_deepstack == deepstack.size(), "{} of {} DeepStack outputs written", next_deepstack,
              deepstack.size());
  return run_merger(weights_->merger, num_patches, embeds);
}

base::Status VisionEncoder::run_block(const VisionBlockWeights& block, int64_t num_patches) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  const int64_t hidden = config_->hidden_size;
  const int64_t heads = config_->num_heads;
  const int64_t hd = head_dim(*config_);
  const Tensor x = ws_.x.slice_rows(0, num_patches);
  const Tensor normed = ws_.normed.slice_rows(0, num_patches);
  const Tensor qkv = ws_.qkv.slice_rows(0, num_patches);
  const Tensor q = reshaped_or_die(qkv.slice_columns(0, hidden), {num_patches, heads, hd});
  const Tensor k = reshaped_or_die(qkv.slice_columns(hidden, hidden), {num_patches, heads, hd});
  const Tensor v = reshaped_or_die(qkv.slice_columns(2 * hidden, hidden), {num_patches, heads, hd});
  const Tensor attn_rows = ws_.attn.slice_rows(0, num_patches);
  const Tensor attn = reshaped_or_die(attn_rows, {num_patches, heads, hd});
  const Tensor cos = ws_.cos.slice_rows(0, num_patches);
  const Tensor sin = ws_.sin.slice_rows(0, num_patches);
  const Tensor mlp = ws_.mlp.slice_rows(0, num_patches);
  backend::SegmentBatch segments;
  segments.cu_seqlens = prefix_view(ws_.cu_seqlens, {num_segments_ + 1});
  segments.max_seqlen = static_cast<int>(max_segment_patches_);
  // x += proj(attention(rotary(qkv(LN1(x)))))
  FOVEA_RETURN_IF_ERROR(ops.layer_norm(stream, x, block.norm1_weight, block.norm1_bias, kNormEps, normed));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, normed, block.qkv, &block.qkv_bias, qkv));
  FOVEA_RETURN_IF_ERROR(ops.rope_apply(stream, q, cos, sin, backend::RopeArithmetic::kFloat32, q));
  FOVEA_RETURN_IF_ERROR(ops.rope_apply(stream, k, cos, sin, backend::RopeArithmetic::kFloat32, k));
  FOVEA_RETURN_IF_ERROR(ops.segment_attention(stream, q, k, v, segments, attention_scale_, attn));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, attn_rows, block.proj, &block.proj_bias, normed));
  FOVEA_RETURN_IF_ERROR(ops.add(stream, x, normed, x));
  // x += fc2(gelu(fc1(LN2(x))))
  FOVEA_RETURN_IF_ERROR(ops.layer_norm(stream, x, block.norm2_weight, block.norm2_bias, kNormEps, normed));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, normed, block.fc1, &block.fc1_bias, mlp));
  FOVEA_RETURN_IF_ERROR(ops.gelu(stream, mlp, block_gelu_, mlp));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, mlp, block.fc2, &block.fc2_bias, normed));
  return ops.add(stream, x, normed, x);
}

base::Status VisionEncoder::run_merger(const PatchMergerWeights& merger, int64_t num_patches, const Tensor& out) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  const int64_t merge_area = config_->spatial_merge_size * config_->spatial_merge_size;
  const int64_t num_tokens = num_patches / merge_area;
  const int64_t merged = config_->hidden_size * merge_area;
  const Tensor x = ws_.x.slice_rows(0, num_patches);
  const Tensor normed = ws_.normed.slice_rows(0, num_patches);
  const Tensor normed_merged = reshaped_or_die(normed, {num_tokens, merged});
  if (merger.postshuffle_norm) {
    // DeepStack: the m^2 patches of a window side by side, then LayerNorm over the whole 4 Hv row.
    FOVEA_RETURN_IF_ERROR(ops.layer_norm(stream, reshaped_or_die(x, {num_tokens, merged}), merger.norm_weight,
                                         merger.norm_bias, kNormEps, normed_merged));
  } else {
    FOVEA_RETURN_IF_ERROR(ops.layer_norm(stream, x, merger.norm_weight, merger.norm_bias, kNormEps, normed));
  }
  const Tensor hidden = reshaped_or_die(ws_.attn.slice_rows(0, num_patches), {num_tokens, merged});
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, normed_merged, merger.fc1, &merger.fc1_bias, hidden));
  FOVEA_RETURN_IF_ERROR(ops.gelu(stream, hidden, backend::GeluKind::kErf, hidden));
  return ops.linear(stream, hidden, merger.fc2, &merger.fc2_bias, out);
}

}  // namespace fovea::model
