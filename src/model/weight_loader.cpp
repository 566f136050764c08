// WeightLoader: name lookup, shape/dtype checks with errors that name the tensor, device upload, dummy weights.
#include "model/weight_loader.h"

#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "tensor/float_convert.h"

namespace fovea::model {
namespace {

bool is_dense_weight_dtype(tensor::DType dtype) {
  return dtype == tensor::DType::kBF16 || dtype == tensor::DType::kF16 || dtype == tensor::DType::kF32;
}

// splitmix64: a fixed, portable generator (std distributions differ between standard libraries).
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return hash;
}

void store_value(std::byte* out, tensor::DType dtype, float value) {
  if (dtype == tensor::DType::kF32) {
    std::memcpy(out, &value, sizeof(value));
    return;
  }
  const uint16_t bits = dtype == tensor::DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value);
  std::memcpy(out, &bits, sizeof(bits));
}

}  // namespace

WeightLoader::WeightLoader(backend::Backend& backend, const io::WeightTable* table, std::string source_label,
                           tensor::DType dummy_dtype, uint64_t seed)
    : backend_(&backend),
      table_(table),
      source_label_(std::move(source_label)),
      dummy_dtype_(dummy_dtype),
      seed_(seed) {}

WeightLoader::~WeightLoader() = default;

WeightLoader WeightLoader::from_checkpoint(backend::Backend& backend, const io::WeightTable& table,
                                           std::string source_label) {
  return WeightLoader(backend, &table, std::move(source_label), tensor::DType::kBF16, 0);
}

WeightLoader WeightLoader::dummy(backend::Backend& backend, tensor::DType dtype, uint64_t seed) {
  return WeightLoader(backend, nullptr, "dummy weights", dtype, seed);
}

bool WeightLoader::has(const std::string& name) const { return table_ != nullptr && table_->find(name) != nullptr; }

base::Result<backend::Tensor> WeightLoader::load_tensor(const std::string& name, const tensor::Shape& shape,
                                                        DummyInit init) {
  if (table_ == nullptr) return make_dummy(name, shape, init);
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
        "{}/{}: tensor \"{}\" has dtype {}; fovea loads dense bf16, f16 or f32 weights here (quantized checkpoints "
        "are not supported by the model loader yet)",
        source_label_, file_name, name, tensor::dtype_name(entry->view.dtype));
  }
  if (entry->view.shape != shape) {
    return base::invalid_argument(
        "{}/{}: tensor \"{}\" has shape {} but config.json implies {}; check that config.json and the safetensors "
        "files belong to the same model",
        source_label_, file_name, name, entry->view.shape.to_string(), shape.to_string());
  }
  return upload(entry->view);
}

base::Result<backend::Weight> WeightLoader::load_linear(const std::string& module_name, int64_t out_features,
                                                        int64_t in_features, const tensor::Shape& stored_shape) {
  const tensor::Shape shape({out_features, in_features});
  const tensor::Shape& on_disk = stored_shape.rank() == 0 ? shape : stored_shape;
  FOVEA_ASSIGN_OR_RETURN(backend::Tensor values, load_tensor(module_name + ".weight", on_disk, DummyInit::kMatrix));
  backend::Weight weight;
  weight.format = backend::WeightFormat::kDense;
  FOVEA_ASSIGN_OR_RETURN(weight.values, values.reshaped(shape));
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

base::Result<backend::Tensor> WeightLoader::make_dummy(const std::string& name, const tensor::Shape& shape,
                                                       DummyInit init) {
  const int64_t numel = shape.numel();
  const int element_bytes = tensor::dtype_size_bytes(dummy_dtype_);
  std::vector<std::byte> host(static_cast<size_t>(numel) * static_cast<size_t>(element_bytes));
  uint64_t state = seed_ ^ fnv1a(name);
  const int64_t fan_in = shape.rank() == 0 ? 1 : shape[shape.rank() - 1];
  const float matrix_scale = std::sqrt(3.0f / static_cast<float>(std::max<int64_t>(fan_in, 1)));
  for (int64_t idx = 0; idx < numel; ++idx) {
    float value = 0.0f;
    if (init == DummyInit::kOnes) {
      value = 1.0f;
    } else if (init != DummyInit::kZeros) {
      const float unit = static_cast<float>(splitmix64(state) >> 40) * 0x1.0p-24f * 2.0f - 1.0f;  // [-1, 1)
      value = init == DummyInit::kMatrix ? unit * matrix_scale : unit * 0.5f;
    }
    store_value(host.data() + idx * element_bytes, dummy_dtype_, value);
  }
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend_->allocate(host.size()));
  allocated_bytes_ += host.size();
  weight_bytes_ += host.size();
  buffers_.push_back(std::move(buffer));
  backend::Tensor tensor = backend::Tensor::on(*buffers_.back(), dummy_dtype_, shape);
  backend::Stream& stream = backend_->default_stream();
  FOVEA_RETURN_IF_ERROR(backend_->copy_from_host(stream, host.data(), tensor));
  // The host bytes die with this call; a device backend may still be reading them.
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  return tensor;
}

}  // namespace fovea::model
