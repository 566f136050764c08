// VisionEncoder: input validation, host-side position inputs, the block loop and the patch mergers, and their
// tensor-parallel forms (weights mode: local heads and widths, all-reduces after the row-parallel Linears; data
// mode: images split over the ranks).
#include "model/vision_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <thread>

#include "backend/op_checks.h"
#include "base/check.h"
#include "base/checked_math.h"
#include "tensor/float_convert.h"

namespace fovea::model {
namespace {

using backend::Tensor;

constexpr float kNormEps = 1e-6f;  // every LayerNorm of the tower (HF hard-codes it)
// Host threads that convert and resample the inputs (a 1280x720 image: 5.4 M pixel values, 4.1 M position values),
// few enough that tensor-parallel ranks (one encoder each) do not oversubscribe the host.
constexpr unsigned kMaxHostThreads = 8;
constexpr int64_t kConvertBlockValues = int64_t{1} << 16;  // values one parallel_for item converts

// values[0, count) rounded once to `act` (f32 copied as is) into dst, packed.
void store_values(const float* values, int64_t count, tensor::DType act, std::byte* dst) {
  if (act == tensor::DType::kF32) {
    std::memcpy(dst, values, static_cast<size_t>(count) * sizeof(float));
    return;
  }
  const bool bf16 = act == tensor::DType::kBF16;
  for (int64_t idx = 0; idx < count; ++idx) {
    const uint16_t bits = bf16 ? tensor::float_to_bf16(values[idx]) : tensor::float_to_f16(values[idx]);
    std::memcpy(dst + idx * 2, &bits, sizeof(bits));
  }
}

bool same_grids(std::span<const VisionGrid> a, std::span<const VisionGrid> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const VisionGrid& x, const VisionGrid& y) { return x.t == y.t && x.h == y.h && x.w == y.w; });
}

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

base::Status check_parallel(const io::VisionConfig& config, const VisionParallel& parallel) {
  if (parallel.tp_size < 1 || parallel.tp_rank < 0 || parallel.tp_rank >= parallel.tp_size) {
    return base::invalid_argument("vision encoder: rank {} of {} tensor-parallel ranks is not a rank", parallel.tp_rank,
                                  parallel.tp_size);
  }
  if (parallel.tp_size == 1) return base::Status();
  const backend::Communicator* comm = parallel.communicator;
  if (comm == nullptr || comm->world_size() != parallel.tp_size || comm->rank() != parallel.tp_rank) {
    return base::invalid_argument(
        "vision encoder: rank {} of {} needs that rank's communicator; pass the one create_communicators made for it",
        parallel.tp_rank, parallel.tp_size);
  }
  const int64_t merged = config.hidden_size * config.spatial_merge_size * config.spatial_merge_size;
  if (parallel.shard_weights && (config.num_heads % parallel.tp_size != 0 ||
                                 config.intermediate_size % parallel.tp_size != 0 || merged % parallel.tp_size != 0)) {
    return base::invalid_argument(
        "vision_config: num_heads {}, intermediate_size {} and the merger width {} must divide by "
        "--tensor-parallel-size {} in --mm-encoder-tp-mode weights; use --mm-encoder-tp-mode data",
        config.num_heads, config.intermediate_size, merged, parallel.tp_size);
  }
  return base::Status();
}

base::Status check_linear(const backend::Weight& weight, int64_t out_features, int64_t in_features, const char* name) {
  if (weight.out_features() == out_features && weight.in_features() == in_features) return base::Status();
  return base::invalid_argument(
      "vision encoder: {} is [{}, {}] on this rank, but its tensor-parallel shard is [{}, {}]; load the vision "
      "weights with the same tensor-parallel layout as the encoder",
      name, weight.out_features(), weight.in_features(), out_features, in_features);
}

}  // namespace

std::vector<int> assign_images_to_ranks(std::span<const int64_t> num_patches, int num_ranks) {
  std::vector<size_t> order(num_patches.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return num_patches[a] > num_patches[b]; });
  std::vector<int64_t> load(static_cast<size_t>(std::max(num_ranks, 1)), 0);
  std::vector<int> rank_of(num_patches.size(), 0);
  for (size_t image_idx : order) {
    const auto lightest = std::min_element(load.begin(), load.end());  // the first of equal loads: the lower rank
    *lightest += num_patches[image_idx];
    rank_of[image_idx] = static_cast<int>(lightest - load.begin());
  }
  return rank_of;
}

VisionEncoder::VisionEncoder(backend::Backend& backend, const io::VisionConfig& config, const VisionWeights& weights,
                             tensor::DType act, int64_t max_num_patches, const VisionParallel& parallel)
    : backend_(&backend),
      config_(&config),
      weights_(&weights),
      act_(act),
      max_num_patches_(max_num_patches),
      parallel_(parallel),
      local_heads_(parallel.sharded() ? config.num_heads / parallel.tp_size : config.num_heads),
      patch_dim_(config.in_channels * config.temporal_patch_size * config.patch_size * config.patch_size),
      side_(static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(config.num_position_embeddings))))) {
  block_gelu_ = config.hidden_act == "gelu" ? backend::GeluKind::kErf : backend::GeluKind::kTanh;
  attention_scale_ = static_cast<float>(std::pow(static_cast<double>(head_dim(config)), -0.5));
}

base::Result<std::unique_ptr<VisionEncoder>> VisionEncoder::create(backend::Backend& backend,
                                                                   const io::VisionConfig& config,
                                                                   const VisionWeights& weights, tensor::DType act,
                                                                   int64_t max_num_patches,
                                                                   const VisionParallel& parallel) {
  if (!backend::is_activation_dtype(act)) {
    return base::invalid_argument("activation dtype {} is not supported; use f32, bf16 or f16",
                                  tensor::dtype_name(act));
  }
  FOVEA_RETURN_IF_ERROR(check_parallel(config, parallel));
  const int64_t num_shards = parallel.sharded() ? parallel.tp_size : 1;
  FOVEA_ASSIGN_OR_RETURN(uint64_t bytes, vision_workspace_bytes(config, act, max_num_patches, num_shards));
  std::unique_ptr<VisionEncoder> encoder(new VisionEncoder(backend, config, weights, act, max_num_patches, parallel));
  FOVEA_RETURN_IF_ERROR(encoder->check_weight_shapes());
  FOVEA_ASSIGN_OR_RETURN(encoder->buffer_, backend.allocate(bytes));
  ArenaCarver carver(encoder->buffer_.get());
  encoder->ws_ = VisionWorkspace::carve(carver, config, act, max_num_patches, num_shards);
  encoder->workspace_bytes_ = bytes;
  FOVEA_ASSIGN_OR_RETURN(encoder->pos_table_, to_host_floats(backend, weights.pos_embed));
  encoder->host_pool_ = std::make_unique<base::ThreadPool>(
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, kMaxHostThreads)));
  return encoder;
}

base::Status VisionEncoder::check_weight_shapes() const {
  const int64_t shards = parallel_.sharded() ? parallel_.tp_size : 1;
  const int64_t hidden = config_->hidden_size;
  const int64_t inter = config_->intermediate_size;
  const int64_t merged = hidden * config_->spatial_merge_size * config_->spatial_merge_size;
  if (weights_->blocks.size() != static_cast<size_t>(config_->depth)) {
    return base::invalid_argument("vision encoder: {} blocks loaded; vision_config.depth is {}",
                                  weights_->blocks.size(), config_->depth);
  }
  for (const VisionBlockWeights& block : weights_->blocks) {
    FOVEA_RETURN_IF_ERROR(check_linear(block.qkv, 3 * hidden / shards, hidden, "attn.qkv"));
    FOVEA_RETURN_IF_ERROR(check_linear(block.proj, hidden, hidden / shards, "attn.proj"));
    FOVEA_RETURN_IF_ERROR(check_linear(block.fc1, inter / shards, hidden, "mlp.linear_fc1"));
    FOVEA_RETURN_IF_ERROR(check_linear(block.fc2, hidden, inter / shards, "mlp.linear_fc2"));
  }
  std::vector<const PatchMergerWeights*> mergers{&weights_->merger};
  for (const PatchMergerWeights& merger : weights_->deepstack_mergers) mergers.push_back(&merger);
  for (const PatchMergerWeights* merger : mergers) {
    FOVEA_RETURN_IF_ERROR(check_linear(merger->fc1, merged / shards, merged, "merger linear_fc1"));
    FOVEA_RETURN_IF_ERROR(check_linear(merger->fc2, config_->out_hidden_size, merged / shards, "merger linear_fc2"));
  }
  return base::Status();
}

const Tensor* VisionEncoder::row_parallel_bias(const Tensor& bias) const {
  return parallel_.sharded() && parallel_.tp_rank != 0 ? nullptr : &bias;
}

base::Status VisionEncoder::row_parallel_linear(const Tensor& x, const backend::Weight& w, const Tensor& bias,
                                                const Tensor& out) {
  backend::Stream& stream = backend_->default_stream();
  backend::Ops& ops = backend_->ops();
  if (!parallel_.sharded()) return ops.linear(stream, x, w, &bias, out);
  if (act_ == tensor::DType::kF32) {
    FOVEA_RETURN_IF_ERROR(ops.linear(stream, x, w, row_parallel_bias(bias), out));
    return parallel_.communicator->all_reduce_sum(stream, out);
  }
  // Rounded per rank before the sum, the partials would differ from TP=1 by a rounding per rank per reduce.
  const Tensor partial = prefix_view(ws_.partial, out.shape);
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, x, w, row_parallel_bias(bias), partial));
  FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_reduce_sum(stream, partial));
  return ops.convert(stream, partial, out);
}

base::Status VisionEncoder::zero_rows(const Tensor& rows) {
  const auto num_bytes = static_cast<size_t>(rows.numel() * rows.element_size_bytes());
  if (host_zeros_.size() < num_bytes) host_zeros_.assign(num_bytes, std::byte{0});
  return backend_->copy_from_host(backend_->default_stream(), host_zeros_.data(), rows);
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

base::Status VisionEncoder::upload_pixels(std::span<const VisionImage> images, int64_t num_patches) {
  backend::Stream& stream = backend_->default_stream();
  const Tensor dst = ws_.pixels.slice_rows(0, num_patches);
  if (act_ == tensor::DType::kF32) {
    int64_t row = 0;
    for (const VisionImage& image : images) {
      const int64_t count = image.grid.num_patches();
      FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(stream, image.pixel_values.data(), dst.slice_rows(row, count)));
      row += count;
    }
    return base::Status();
  }
  const auto element_bytes = static_cast<int64_t>(tensor::dtype_size_bytes(act_));
  const auto total_bytes = static_cast<size_t>(num_patches * patch_dim_ * element_bytes);
  if (host_pixel_staging_.size() < total_bytes) host_pixel_staging_.resize(total_bytes);
  int64_t first_value = 0;
  for (const VisionImage& image : images) {
    const float* values = image.pixel_values.data();
    const auto num_values = static_cast<int64_t>(image.pixel_values.size());
    std::byte* out = host_pixel_staging_.data() + first_value * element_bytes;
    const int64_t num_blocks = (num_values + kConvertBlockValues - 1) / kConvertBlockValues;
    host_pool_->parallel_for(num_blocks, [&](int64_t begin, int64_t end) {
      for (int64_t block = begin; block < end; ++block) {
        const int64_t offset = block * kConvertBlockValues;
        store_values(values + offset, std::min(kConvertBlockValues, num_values - offset), act_,
                     out + offset * element_bytes);
      }
    });
    first_value += num_values;
  }
  return backend_->copy_from_host(stream, host_pixel_staging_.data(), dst);
}

base::Status VisionEncoder::upload_pos_embed(int64_t num_patches) {
  const int64_t hidden = config_->hidden_size;
  const auto row_bytes = static_cast<int64_t>(tensor::dtype_size_bytes(act_)) * hidden;
  const auto total_bytes = static_cast<size_t>(num_patches * row_bytes);
  if (host_pos_staging_.size() < total_bytes) host_pos_staging_.resize(total_bytes);
  const std::span<const PosEmbedTaps> taps(host_taps_);
  host_pool_->parallel_for(num_patches, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(hidden));
    for (int64_t patch_idx = begin; patch_idx < end; ++patch_idx) {
      interpolate_pos_embed(taps.subspan(static_cast<size_t>(patch_idx), 1), pos_table_.data(), hidden, row.data());
      store_values(row.data(), hidden, act_, host_pos_staging_.data() + patch_idx * row_bytes);
    }
  });
  return backend_->copy_from_host(backend_->default_stream(), host_pos_staging_.data(),
                                  ws_.pos.slice_rows(0, num_patches));
}

// Every input goes up in one asynchronous copy per array, and one synchronize at the end keeps the host staging
// valid until the copies ran. The position rows, rotary coordinates and segments depend only on the grids: a call
// with the grids of the previous one (the same image sizes: the common case in serving) keeps them in ws_.
base::Status VisionEncoder::upload_inputs(std::span<const VisionImage> images, int64_t num_patches) {
  const int64_t merge = config_->spatial_merge_size;
  // Pixels, cast to the activation dtype first (HF: pixel_values.type(visual.dtype)).
  FOVEA_RETURN_IF_ERROR(upload_pixels(images, num_patches));
  num_segments_ = 0;
  max_segment_patches_ = 0;
  for (const VisionImage& image : images) {
    num_segments_ += image.grid.t;
    max_segment_patches_ = std::max(max_segment_patches_, image.grid.h * image.grid.w);
  }
  backend::Stream& stream = backend_->default_stream();
  host_grids_.clear();
  for (const VisionImage& image : images) host_grids_.push_back(image.grid);
  if (!same_grids(host_grids_, uploaded_grids_)) {
    uploaded_grids_.clear();  // ws_ holds no complete set of them until the copies below ran
    // Position-table taps, rotary coordinates and segments.
    host_taps_.clear();
    host_rows_.clear();
    host_cols_.clear();
    for (const VisionGrid& grid : host_grids_) {
      append_pos_embed_taps(grid, merge, side_, host_taps_);
      append_patch_coordinates(grid, merge, host_rows_, host_cols_);
    }
    host_coords_ = host_rows_;
    host_coords_.insert(host_coords_.end(), host_cols_.begin(), host_cols_.end());
    host_cu_seqlens_ = vision_cu_seqlens(host_grids_);
    FOVEA_RETURN_IF_ERROR(
        backend_->copy_from_host(stream, host_coords_.data(), prefix_view(ws_.coords, {2, num_patches})));
    FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(
        stream, host_cu_seqlens_.data(), prefix_view(ws_.cu_seqlens, {static_cast<int64_t>(host_cu_seqlens_.size())})));
    // The resampled position table, computed on the host in fp32 and rounded once to the activation dtype
    // (HF: pos_embeds.to(hidden_states.dtype)).
    FOVEA_RETURN_IF_ERROR(upload_pos_embed(num_patches));
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
    uploaded_grids_ = host_grids_;
    return base::Status();
  }
  return backend_->synchronize(stream);
}

base::Status VisionEncoder::encode(std::span<const VisionImage> images, const Tensor& embeds,
                                   std::span<const Tensor> deepstack) {
  int64_t num_patches = 0;
  FOVEA_RETURN_IF_ERROR(validate(images, embeds, deepstack, &num_patches));
  return encode_validated(images, num_patches, embeds, deepstack);
}

// Data mode exchanges the results with one all-reduce per output tensor: each rank writes the rows of its images and
// zeros over the others', so the sum is every image's rows exactly (x + 0 is exact in any dtype), with a collective
// every communicator has and no variable-size gather. An all_gather_last_dim would move half the bytes but needs
// equal blocks per rank (padding to the busiest rank) and a copy of each block into place afterwards.
base::Status VisionEncoder::encode_each(std::span<const VisionImage> images, std::span<const VisionOutput> outputs) {
  if (outputs.size() != images.size()) {
    return base::invalid_argument("vision encoder: {} outputs passed for {} images", outputs.size(), images.size());
  }
  std::vector<int64_t> num_patches(images.size(), 0);
  for (size_t image_idx = 0; image_idx < images.size(); ++image_idx) {
    const VisionOutput& out = outputs[image_idx];
    FOVEA_RETURN_IF_ERROR(validate(images.subspan(image_idx, 1), out.embeds, out.deepstack, &num_patches[image_idx]));
  }
  const std::vector<int> rank_of = parallel_.data_parallel() ? assign_images_to_ranks(num_patches, parallel_.tp_size)
                                                             : std::vector<int>(images.size(), parallel_.tp_rank);
  for (size_t image_idx = 0; image_idx < images.size(); ++image_idx) {
    const VisionOutput& out = outputs[image_idx];
    if (rank_of[image_idx] == parallel_.tp_rank) {
      FOVEA_RETURN_IF_ERROR(
          encode_validated(images.subspan(image_idx, 1), num_patches[image_idx], out.embeds, out.deepstack));
    } else {
      FOVEA_RETURN_IF_ERROR(zero_rows(out.embeds));
      for (const Tensor& extra : out.deepstack) FOVEA_RETURN_IF_ERROR(zero_rows(extra));
    }
  }
  if (!parallel_.data_parallel()) return base::Status();
  backend::Stream& stream = backend_->default_stream();
  for (const VisionOutput& out : outputs) {
    FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_reduce_sum(stream, out.embeds));
    for (const Tensor& extra : out.deepstack)
      FOVEA_RETURN_IF_ERROR(parallel_.communicator->all_reduce_sum(stream, extra));
  }
  // The host zeros must stay untouched until their uploads ran; the outputs are complete once the stream drains.
  return backend_->synchronize(stream);
}

base::Status VisionEncoder::encode_validated(std::span<const VisionImage> images, int64_t num_patches,
                                             const Tensor& embeds, std::span<const Tensor> deepstack) {
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
  const int64_t heads = local_heads_;
  const int64_t hd = head_dim(*config_);
  const int64_t hidden = heads * hd;  // this rank's q (k, v) width: Hv, or Hv / tp with sharded weights
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
  FOVEA_RETURN_IF_ERROR(row_parallel_linear(attn_rows, block.proj, block.proj_bias, normed));
  FOVEA_RETURN_IF_ERROR(ops.add(stream, x, normed, x));
  // x += fc2(gelu(fc1(LN2(x))))
  FOVEA_RETURN_IF_ERROR(ops.layer_norm(stream, x, block.norm2_weight, block.norm2_bias, kNormEps, normed));
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, normed, block.fc1, &block.fc1_bias, mlp));
  FOVEA_RETURN_IF_ERROR(ops.gelu(stream, mlp, block_gelu_, mlp));
  FOVEA_RETURN_IF_ERROR(row_parallel_linear(mlp, block.fc2, block.fc2_bias, normed));
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
  const int64_t local_merged = merger.fc1.out_features();  // m^2 Hv, or m^2 Hv / tp with sharded weights
  const Tensor hidden = reshaped_or_die(ws_.attn.slice_rows(0, num_patches), {num_tokens, local_merged});
  FOVEA_RETURN_IF_ERROR(ops.linear(stream, normed_merged, merger.fc1, &merger.fc1_bias, hidden));
  FOVEA_RETURN_IF_ERROR(ops.gelu(stream, hidden, backend::GeluKind::kErf, hidden));
  return row_parallel_linear(hidden, merger.fc2, merger.fc2_bias, out);
}

}  // namespace fovea::model
