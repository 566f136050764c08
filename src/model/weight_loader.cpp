// WeightLoader: name lookup, shape/dtype checks with errors that name the tensor, tensor-parallel shards, device
// upload, Linear weights of every format through quant::load_linear, dummy weights.
#include "model/weight_loader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "model/sharded_lookup.h"
#include "quant/linear_loader.h"
#include "tensor/float_convert.h"

namespace fovea::model {
namespace {

bool is_dense_weight_dtype(tensor::DType dtype) {
  return dtype == tensor::DType::kBF16 || dtype == tensor::DType::kF16 || dtype == tensor::DType::kF32;
}

// splitmix64: a fixed, portable generator (std distributions differ between standard libraries). Its state advances
// by kSplitmixGamma per draw, so draw idx of a stream mixes start + (idx + 1) * kSplitmixGamma: any range of a dummy
// tensor can be filled without the draws before it, and a parallel fill gives the sequential one's values.
constexpr uint64_t kSplitmixGamma = 0x9e3779b97f4a7c15ull;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += kSplitmixGamma);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return hash;
}

// Elements one fill task writes: large enough that scheduling costs nothing, small enough to spread a tensor over
// every thread.
constexpr int64_t kFillTaskElements = int64_t{1} << 18;
// Bytes of one host piece of a dummy tensor bound for a device (two are kept: one is copied while the other fills).
constexpr int64_t kStagingPieceBytes = int64_t{32} << 20;

// What one dummy tensor holds: element idx is a pure function of (start_state, idx).
struct DummyFill {
  tensor::DType dtype;
  DummyInit init;
  uint64_t start_state;  // the stream's state before its first draw: seed ^ fnv1a(name)
  float scale;           // half-range of the uniform draws
};

// Elements [begin, end) of the tensor into `out` (the bytes of element begin onwards).
template <typename Element, typename Convert>
void fill_elements(Element* out, const DummyFill& fill, int64_t begin, int64_t end, Convert convert) {
  if (fill.init == DummyInit::kOnes || fill.init == DummyInit::kZeros) {
    std::fill(out, out + (end - begin), convert(fill.init == DummyInit::kOnes ? 1.0f : 0.0f));
    return;
  }
  uint64_t state = fill.start_state + static_cast<uint64_t>(begin) * kSplitmixGamma;
  for (int64_t idx = begin; idx < end; ++idx) {
    const float unit = static_cast<float>(splitmix64(state) >> 40) * 0x1.0p-24f * 2.0f - 1.0f;  // [-1, 1)
    out[idx - begin] = convert(unit * fill.scale);
  }
}

void fill_range(std::byte* out, const DummyFill& fill, int64_t begin, int64_t end) {
  switch (fill.dtype) {
    case tensor::DType::kF32:
      fill_elements(reinterpret_cast<float*>(out), fill, begin, end, [](float value) { return value; });
      return;
    case tensor::DType::kBF16:
      fill_elements(reinterpret_cast<uint16_t*>(out), fill, begin, end,
                    [](float value) { return tensor::float_to_bf16(value); });
      return;
    default:
      fill_elements(reinterpret_cast<uint16_t*>(out), fill, begin, end,
                    [](float value) { return tensor::float_to_f16(value); });
      return;
  }
}

// Local elements [begin, end) of a (possibly sharded) tensor into `out` (local element begin's bytes): each run's
// elements are the whole tensor's at the run's global indices; padding runs are zero.
void fill_runs(std::byte* out, const DummyFill& fill, std::span<const ShardRun> runs, int64_t begin, int64_t end) {
  const auto element_bytes = static_cast<int64_t>(tensor::dtype_size_bytes(fill.dtype));
  auto run = std::upper_bound(runs.begin(), runs.end(), begin,
                              [](int64_t local, const ShardRun& r) { return local < r.local_begin; });
  if (run != runs.begin()) --run;
  for (int64_t local = begin; local < end && run != runs.end(); ++run) {
    const int64_t piece_end = std::min(end, run->local_begin + run->count);
    if (piece_end <= local) continue;
    std::byte* piece_out = out + (local - begin) * element_bytes;
    if (run->global_begin < 0) {
      std::memset(piece_out, 0, static_cast<size_t>((piece_end - local) * element_bytes));
    } else {
      const int64_t global = run->global_begin + (local - run->local_begin);
      fill_range(piece_out, fill, global, global + (piece_end - local));
    }
    local = piece_end;
  }
}

// Local elements [begin, end) into `out` (element begin's bytes), in tasks of kFillTaskElements over the pool.
void fill_parallel(base::ThreadPool& pool, std::byte* out, const DummyFill& fill, std::span<const ShardRun> runs,
                   int64_t begin, int64_t end) {
  const auto element_bytes = static_cast<int64_t>(tensor::dtype_size_bytes(fill.dtype));
  const int64_t num_tasks = (end - begin + kFillTaskElements - 1) / kFillTaskElements;
  pool.parallel_for(num_tasks, [&](int64_t first_task, int64_t end_task) {
    for (int64_t task_idx = first_task; task_idx < end_task; ++task_idx) {
      const int64_t task_begin = begin + task_idx * kFillTaskElements;
      const int64_t task_end = std::min(end, task_begin + kFillTaskElements);
      fill_runs(out + (task_begin - begin) * element_bytes, fill, runs, task_begin, task_end);
    }
  });
}

}  // namespace

WeightLoader::WeightLoader(backend::Backend& backend, const io::WeightTable* table,
                           std::optional<io::QuantizationConfig> quantization, std::string source_label,
                           tensor::DType dummy_dtype, uint64_t seed)
    : backend_(&backend),
      table_(table),
      quantization_(std::move(quantization)),
      source_label_(std::move(source_label)),
      dummy_dtype_(dummy_dtype),
      seed_(seed) {
  if (table_ != nullptr) coverage_.emplace(*table_);
}

WeightLoader::~WeightLoader() = default;

WeightLoader WeightLoader::from_checkpoint(backend::Backend& backend, const io::WeightTable& table,
                                           const io::QuantizationConfig* quantization, std::string source_label) {
  std::optional<io::QuantizationConfig> copy;
  if (quantization != nullptr) copy = *quantization;
  return WeightLoader(backend, &table, std::move(copy), std::move(source_label), tensor::DType::kBF16, 0);
}

WeightLoader WeightLoader::dummy(backend::Backend& backend, tensor::DType dtype, uint64_t seed) {
  return WeightLoader(backend, nullptr, std::nullopt, "dummy weights", dtype, seed);
}

void WeightLoader::shard_for_tensor_parallel(const io::TensorParallelLayout& layout, int rank_idx) {
  if (layout.tensor_parallel_size() == 1) return;
  layout_ = layout;
  tp_rank_ = rank_idx;
}

base::Result<tensor::Shape> WeightLoader::shard_shape(const std::string& name, const tensor::Shape& shape) const {
  if (!layout_) return shape;
  FOVEA_ASSIGN_OR_RETURN(io::TpShard shard, layout_->shard(name, shape.dims(), tp_rank_));
  return tensor::Shape(shard.shape);
}

bool WeightLoader::has(const std::string& name) const { return table_ != nullptr && table_->find(name) != nullptr; }

base::Result<backend::Tensor> WeightLoader::load_tensor(const std::string& name, const tensor::Shape& shape,
                                                        DummyInit init) {
  base::Result<backend::Tensor> tensor = read_tensor(name, shape, init);
  if (tensor.ok()) report_progress();
  return tensor;
}

void WeightLoader::report_progress() {
  ++num_loaded_;
  if (!on_progress_) return;
  LoadProgress progress;
  progress.device_bytes = weight_bytes_;
  if (coverage_) {
    progress.num_tensors_loaded = coverage_->num_tensors();
    progress.bytes_loaded = coverage_->bytes();
    progress.num_tensors_total = static_cast<int64_t>(table_->num_tensors());
    progress.bytes_total = table_->total_bytes();
  } else {
    progress.num_tensors_loaded = num_loaded_;
    progress.bytes_loaded = weight_bytes_;
  }
  on_progress_(progress);
}

base::Result<backend::Tensor> WeightLoader::read_tensor(const std::string& name, const tensor::Shape& shape,
                                                        DummyInit init) {
  io::TpShard shard;
  shard.shape = shape.dims();
  if (layout_) {
    FOVEA_ASSIGN_OR_RETURN(shard, layout_->shard(name, shape.dims(), tp_rank_));
  }
  // A row-parallel bias is added once, by rank 0, before the all-reduce sums the ranks' partial outputs.
  const bool zero_on_this_rank = shard.rank0_only && tp_rank_ != 0;
  if (table_ == nullptr) return make_dummy(name, shape, zero_on_this_rank ? DummyInit::kZeros : init, shard);
  const io::WeightEntry* entry = table_->find(name);
  if (entry == nullptr) {
    return base::not_found(
        "{}: the checkpoint has no tensor \"{}\" (shape {} by config.json); check that config.json and the "
        "safetensors files belong to the same model",
        source_label_, name, shape.to_string());
  }
  const std::string& file_name = table_->file_names()[static_cast<size_t>(entry->file_idx)];
  if (!is_dense_weight_dtype(entry->view.dtype)) {
    return base::unsupported(
        "{}/{}: tensor \"{}\" has dtype {}; fovea loads it as a dense bf16, f16 or f32 tensor (only Linear weights "
        "may be quantized)",
        source_label_, file_name, name, tensor::dtype_name(entry->view.dtype));
  }
  if (entry->view.shape != shape) {
    return base::invalid_argument(
        "{}/{}: tensor \"{}\" has shape {} but config.json implies {}; check that config.json and the safetensors "
        "files belong to the same model",
        source_label_, file_name, name, entry->view.shape.to_string(), shape.to_string());
  }
  // The rank has gone through the stored tensor whatever part of it it keeps (none, for a zero bias).
  coverage_->add(name);
  if (zero_on_this_rank) return make_zeros(entry->view.dtype, shape);
  if (shard.axis < 0) return upload(entry->view);
  FOVEA_ASSIGN_OR_RETURN(HostShard host, gather_shard(entry->view, shard));
  return upload_shard(std::move(host));
}

base::Result<backend::Tensor> WeightLoader::upload_shard(HostShard shard) {
  FOVEA_ASSIGN_OR_RETURN(backend::Tensor tensor, upload(shard.view));
  if (shard.owned == nullptr) return tensor;
  if (backend_->device().kind == backend::DeviceKind::kCpu) {
    host_shards_.push_back(std::move(shard.owned));
    return tensor;
  }
  // The host copy is freed on return; the device copy must have read it.
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(backend_->default_stream()));
  return tensor;
}

base::Result<backend::Tensor> WeightLoader::make_zeros(tensor::DType dtype, const tensor::Shape& shape) {
  const size_t size_bytes = static_cast<size_t>(shape.numel()) * static_cast<size_t>(tensor::dtype_size_bytes(dtype));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend_->allocate(size_bytes));
  allocated_bytes_ += size_bytes;
  weight_bytes_ += size_bytes;
  buffers_.push_back(std::move(buffer));
  const backend::Tensor tensor = backend::Tensor::on(*buffers_.back(), dtype, shape);
  const std::vector<std::byte> zeros(size_bytes);
  FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(backend_->default_stream(), zeros.data(), tensor));
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(backend_->default_stream()));
  return tensor;
}

base::Result<backend::Weight> WeightLoader::load_linear(const std::string& module_name, int64_t out_features,
                                                        int64_t in_features, const tensor::Shape& stored_shape) {
  const tensor::Shape shape({out_features, in_features});
  if (table_ != nullptr && stored_shape.rank() == 0) {
    FOVEA_ASSIGN_OR_RETURN(backend::Weight weight, load_checkpoint_linear(module_name, out_features, in_features));
    report_progress();
    return weight;
  }
  const tensor::Shape& on_disk = stored_shape.rank() == 0 ? shape : stored_shape;
  FOVEA_ASSIGN_OR_RETURN(backend::Tensor values, read_tensor(module_name + ".weight", on_disk, DummyInit::kMatrix));
  // A sharded Linear is split along out or in, never along a folded (Conv3d) axis.
  FOVEA_ASSIGN_OR_RETURN(const tensor::Shape local, shard_shape(module_name + ".weight", shape));
  backend::Weight weight;
  weight.format = backend::WeightFormat::kDense;
  FOVEA_ASSIGN_OR_RETURN(weight.values, values.reshaped(stored_shape.rank() == 0 ? local : shape));
  report_progress();
  return weight;
}

base::Result<backend::Weight> WeightLoader::load_checkpoint_linear(const std::string& module_name, int64_t global_out,
                                                                   int64_t global_in) {
  const bool stored =
      has(module_name + ".weight") || has(module_name + ".weight_packed") || has(module_name + ".qweight");
  if (!stored) {
    return base::not_found(
        "{}: the checkpoint has no tensor \"{}.weight\" (nor a quantized {}.weight_packed or {}.qweight; [{}, {}] by "
        "config.json); check that config.json and the safetensors files belong to the same model",
        source_label_, module_name, module_name, module_name, global_out, global_in);
  }
  const io::QuantizationConfig* quantization = quantization_ ? &*quantization_ : nullptr;
  const quant::WeightTableLookup whole_lookup(*table_);
  // With tensor parallelism the readers see only this rank's part of each stored tensor (and its weight_shape), so
  // every format loads its shard unchanged. Online FP8 then takes the shard's amax for its scale, as vLLM's
  // per-rank process_weights_after_loading does.
  FOVEA_ASSIGN_OR_RETURN(const tensor::Shape local, shard_shape(module_name + ".weight", {global_out, global_in}));
  const int64_t out_features = local[0];
  const int64_t in_features = local[1];
  std::optional<ShardedLookup> sharded;
  if (layout_ && layout_->split_of_module(module_name) != io::TpSplit::kReplicated) {
    base::Result<ShardedLookup> made =
        ShardedLookup::create(*table_, *layout_, tp_rank_, module_name, out_features, in_features);
    if (!made.ok()) return made.status().with_context(source_label_);
    sharded.emplace(std::move(made).value());
  }
  const quant::TensorLookup& rank_lookup = sharded ? static_cast<const quant::TensorLookup&>(*sharded)
                                                   : static_cast<const quant::TensorLookup&>(whole_lookup);
  // Load progress counts the stored tensors the format's reader asks for, whole, as read_tensor does.
  const CheckpointCoverage::RecordingLookup lookup(rank_lookup, *coverage_);
  base::Result<backend::Weight> loaded = fp8_online_ && module_name != "lm_head"
                                             ? quant::load_linear_fp8_online(lookup, module_name, *backend_)
                                             : quant::load_linear(lookup, module_name, quantization, *backend_);
  if (!loaded.ok()) return loaded.status().with_context(source_label_);
  backend::Weight weight = std::move(loaded).value();
  // The CPU backend may use gathered shards in place; a device copied them (load_linear synchronizes).
  if (sharded && backend_->device().kind == backend::DeviceKind::kCpu) {
    for (std::unique_ptr<std::byte[]>& owned : sharded->take_owned()) host_shards_.push_back(std::move(owned));
  }
  if (weight.is_quantized() && (weight.out_features() != out_features || weight.in_features() != in_features)) {
    return base::invalid_argument(
        "{}: quantized Linear \"{}\" unpacks to [{}, {}] but config.json implies [{}, {}] (out_features, "
        "in_features); check that config.json and the safetensors files belong to the same model",
        source_label_, module_name, weight.out_features(), weight.in_features(), out_features, in_features);
  }
  if (!weight.is_quantized() && weight.values.shape != tensor::Shape({out_features, in_features})) {
    return base::invalid_argument(
        "{}: tensor \"{}.weight\" has shape {} but config.json implies [{}, {}]; check that config.json and the "
        "safetensors files belong to the same model",
        source_label_, module_name, weight.values.shape.to_string(), out_features, in_features);
  }
  for (const std::shared_ptr<backend::Buffer>& buffer : weight.storage) {
    weight_bytes_ += buffer->size_bytes();
    if (!buffer->read_only()) allocated_bytes_ += buffer->size_bytes();
  }
  return weight;
}

base::Result<backend::Tensor> WeightLoader::upload(const tensor::TensorView& view) {
  const size_t size_bytes = view.size_bytes();
  weight_bytes_ += size_bytes;
  const auto element_bytes = static_cast<uintptr_t>(tensor::dtype_size_bytes(view.dtype));
  auto* cpu = dynamic_cast<backend::cpu::CpuBackend*>(backend_);
  if (cpu != nullptr && reinterpret_cast<uintptr_t>(view.data) % element_bytes == 0) {
    buffers_.push_back(cpu->wrap_host_memory(view.data, size_bytes));
    return backend::Tensor::on(*buffers_.back(), view.dtype, view.shape);
  }
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend_->allocate(size_bytes));
  allocated_bytes_ += size_bytes;
  buffers_.push_back(std::move(buffer));
  backend::Tensor tensor = backend::Tensor::on(*buffers_.back(), view.dtype, view.shape);
  FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(backend_->default_stream(), view.data, tensor));
  return tensor;
}

base::Result<backend::Tensor> WeightLoader::make_dummy(const std::string& name, const tensor::Shape& global_shape,
                                                       DummyInit init, const io::TpShard& shard) {
  const tensor::Shape shape(shard.shape);
  const std::vector<ShardRun> runs = shard_runs(global_shape.dims(), shard);
  const int64_t numel = shape.numel();
  const int64_t element_bytes = tensor::dtype_size_bytes(dummy_dtype_);
  // The whole tensor's fan-in, so a shard's values are the whole tensor's.
  const int64_t fan_in = global_shape.rank() == 0 ? 1 : global_shape[global_shape.rank() - 1];
  const float matrix_scale = std::sqrt(3.0f / static_cast<float>(std::max<int64_t>(fan_in, 1)));
  const DummyFill fill{dummy_dtype_, init, seed_ ^ fnv1a(name), init == DummyInit::kMatrix ? matrix_scale : 0.5f};
  const auto size_bytes = static_cast<size_t>(numel * element_bytes);
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend_->allocate(size_bytes));
  allocated_bytes_ += size_bytes;
  weight_bytes_ += size_bytes;
  buffers_.push_back(std::move(buffer));
  backend::Buffer& storage = *buffers_.back();
  if (dummy_pool_ == nullptr) dummy_pool_ = std::make_unique<base::ThreadPool>();
  if (storage.device().kind == backend::DeviceKind::kCpu) {
    fill_parallel(*dummy_pool_, static_cast<std::byte*>(storage.data()), fill, runs, 0, numel);
    return backend::Tensor::on(storage, dummy_dtype_, shape);
  }

  // A device: piece piece_idx is copied from one half of the staging while a helper thread fills piece_idx + 1
  // into the other; the copy is synchronised before its half is filled again.
  const int64_t piece_elements = kStagingPieceBytes / element_bytes;
  const int64_t num_pieces = (numel + piece_elements - 1) / piece_elements;
  const auto half_bytes = static_cast<size_t>(std::min(numel, piece_elements) * element_bytes);
  if (dummy_staging_.size() < 2 * half_bytes) dummy_staging_.resize(2 * half_bytes);
  const std::array<std::byte*, 2> halves = {dummy_staging_.data(), dummy_staging_.data() + half_bytes};
  auto fill_piece = [&](int64_t piece_idx) {
    const int64_t begin = piece_idx * piece_elements;
    fill_parallel(*dummy_pool_, halves[static_cast<size_t>(piece_idx % 2)], fill, runs, begin,
                  std::min(numel, begin + piece_elements));
  };
  if (num_pieces > 0) fill_piece(0);
  backend::Stream& stream = backend_->default_stream();
  for (int64_t piece_idx = 0; piece_idx < num_pieces; ++piece_idx) {
    std::thread next_fill;
    if (piece_idx + 1 < num_pieces) next_fill = std::thread(fill_piece, piece_idx + 1);
    const int64_t begin = piece_idx * piece_elements;
    const backend::Tensor piece = backend::Tensor::on(
        storage, dummy_dtype_, tensor::Shape({std::min(numel, begin + piece_elements) - begin}), begin * element_bytes);
    base::Status status = backend_->copy_from_host(stream, halves[static_cast<size_t>(piece_idx % 2)], piece);
    // The staging half is filled again two pieces on; a device backend may still be reading it.
    if (status.ok()) status = backend_->synchronize(stream);
    if (next_fill.joinable()) next_fill.join();
    FOVEA_RETURN_IF_ERROR(status);
  }
  return backend::Tensor::on(storage, dummy_dtype_, shape);
}

}  // namespace fovea::model
