// Fuzzes quant's readers with hostile tensors: the input picks a format, a config (bits, group size, symmetry,
// act-order, block sizes), sizes, and for each tensor of that format whether it exists, its dtype and a shape that is
// right or slightly wrong; the rest of the input fills the tensors' bytes (packed words, scales, zero points, g_idx,
// weight_shape). A linear that loads is then dequantised in full and run through the fast and reference linear,
// so every byte the kernels read must lie inside the buffers.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/quant_dequant.h"
#include "quant/linear_loader.h"

namespace {

using fovea::tensor::DType;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // The remaining input, repeated, as `count` bytes.
  std::vector<uint8_t> fill(size_t count) {
    std::vector<uint8_t> out(count, 0);
    const size_t left = size_ - pos_;
    for (size_t idx = 0; idx < count && left > 0; ++idx) out[idx] = data_[pos_ + idx % left];
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

constexpr const char* kModule = "m";

struct Checkpoint {
  fovea::quant::MapLookup lookup;
  std::deque<std::vector<uint8_t>> storage;
};

// Adds tensor `suffix` unless the input says it is absent; the shape is `shape` or a perturbed one, the dtype
// `dtype` or another, the bytes from the input (at most 64 KiB).
void add(Checkpoint& checkpoint, Input& input, const char* suffix, DType dtype, std::vector<int64_t> shape) {
  const uint8_t control = input.byte();
  if ((control & 0x7) == 0x7) return;  // absent
  if ((control & 0x18) == 0x08 && !shape.empty()) shape[control % shape.size()] += (control & 0x20) ? 1 : -1;
  if ((control & 0xc0) == 0xc0) dtype = static_cast<DType>(input.byte() % 12);
  int64_t numel = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || dim > 4096) return;
    numel *= dim;
  }
  const int64_t bytes = numel * fovea::tensor::dtype_size_bytes(dtype);
  if (bytes > (int64_t{1} << 16)) return;
  checkpoint.storage.push_back(input.fill(static_cast<size_t>(bytes)));
  checkpoint.lookup.add(
      std::string(kModule) + "." + suffix,
      fovea::tensor::TensorView{checkpoint.storage.back().data(), dtype, fovea::tensor::Shape(std::move(shape))});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const int format = input.byte() % 5;
  const uint8_t flags = input.byte();
  const int64_t num_out = 1 + input.byte() % 48;
  const int64_t num_in = 1 + input.byte() % 160;
  const int64_t group_choices[] = {-1, 8, 16, 32, 48, 64, 128, 7};
  const int64_t group = group_choices[input.byte() % 8];
  const int64_t groups = group > 0 ? (num_in + group - 1) / group : 1;
  const int bits = (flags & 1) ? 8 : 4;
  const int64_t per_word = 32 / bits;

  fovea::io::QuantizationConfig config;
  config.bits = bits;
  config.group_size = group;
  config.symmetric = (flags & 2) != 0;
  Checkpoint checkpoint;
  const DType scale_dtype = (flags & 4) ? DType::kBF16 : ((flags & 8) ? DType::kF16 : DType::kF32);
  switch (format) {
    case 0: {  // compressed-tensors pack-quantized
      config.method = fovea::io::QuantMethod::kCompressedTensors;
      fovea::io::QuantizationGroup scheme;
      scheme.targets = {"Linear"};
      scheme.num_bits = (flags & 0x40) ? 3 : bits;
      scheme.type = "int";
      scheme.symmetric = *config.symmetric;
      scheme.strategy = group > 0 ? "group" : "channel";
      scheme.group_size = group;
      scheme.actorder = (flags & 0x10) ? "group" : "";
      config.groups.push_back(scheme);
      add(checkpoint, input, "weight_packed", DType::kI32, {num_out, (num_in * bits + 31) / 32});
      add(checkpoint, input, "weight_scale", scale_dtype, {num_out, groups});
      add(checkpoint, input, "weight_shape", (flags & 0x20) ? DType::kI32 : DType::kI64, {2});
      add(checkpoint, input, "weight_zero_point", DType::kI32, {(num_out * bits + 31) / 32, groups});
      add(checkpoint, input, "weight_g_idx", DType::kI32, {num_in});
      break;
    }
    case 1: {  // compressed-tensors float-quantized
      config.method = fovea::io::QuantMethod::kCompressedTensors;
      fovea::io::QuantizationGroup scheme;
      scheme.targets = {"Linear"};
      scheme.num_bits = 8;
      scheme.type = "float";
      const char* strategies[] = {"channel", "tensor", "group", "block"};
      scheme.strategy = strategies[flags % 4];
      scheme.group_size = group;
      scheme.block_structure = {1 + input.byte() % 16, 1 + input.byte() % 16};
      config.groups.push_back(scheme);
      add(checkpoint, input, "weight", DType::kF8E4M3, {num_out, num_in});
      add(checkpoint, input, "weight_scale", scale_dtype, {num_out, 1});
      break;
    }
    case 2:  // AutoAWQ GEMM
      config.method = fovea::io::QuantMethod::kAwq;
      config.format = (flags & 0x10) ? "gemv" : "gemm";
      add(checkpoint, input, "qweight", DType::kI32, {num_in, (num_out + 7) / 8});
      add(checkpoint, input, "qzeros", DType::kI32, {groups, (num_out + 7) / 8});
      add(checkpoint, input, "scales", scale_dtype, {groups, ((num_out + 7) / 8) * 8});
      break;
    case 3:  // GPTQ
      config.method = fovea::io::QuantMethod::kGptq;
      config.format = (flags & 0x10) ? "gptq_v2" : "gptq";
      add(checkpoint, input, "qweight", DType::kI32, {(num_in + per_word - 1) / per_word, num_out});
      add(checkpoint, input, "qzeros", DType::kI32, {groups, (num_out + per_word - 1) / per_word});
      add(checkpoint, input, "scales", scale_dtype, {groups, num_out});
      add(checkpoint, input, "g_idx", DType::kI32, {num_in});
      break;
    default:  // fp8 blocks
      config.method = fovea::io::QuantMethod::kFp8;
      if (flags & 0x10) config.weight_block_size = {1 + input.byte() % 16, 1 + input.byte() % 16};
      add(checkpoint, input, "weight", DType::kF8E4M3, {num_out, num_in});
      add(checkpoint, input, "weight_scale_inv", scale_dtype, {1, 1});
      break;
  }
  config.quant_method = std::string(fovea::io::quant_method_name(config.method));
  static fovea::backend::cpu::CpuBackend reference_backend(fovea::backend::cpu::CpuBackendOptions{1, true, {}});
  static fovea::backend::cpu::CpuBackend fast_backend(fovea::backend::cpu::CpuBackendOptions{1, false, {}});
  fovea::base::Result<fovea::backend::Weight> weight =
      fovea::quant::load_linear(checkpoint.lookup, kModule, &config, reference_backend);
  if (!weight.ok()) return 0;
  if (weight->is_quantized()) {  // a perturbed dtype can make the module dense (its own kernels run below)
    std::vector<float> matrix(static_cast<size_t>(weight->out_features() * weight->in_features()));
    fovea::backend::cpu::dequantize_matrix(*weight, matrix.data());
  }
  auto x_buffer = reference_backend.allocate(static_cast<size_t>(weight->in_features()) * 4 + 4);
  auto y_buffer = reference_backend.allocate(static_cast<size_t>(weight->out_features()) * 4 + 4);
  if (!x_buffer.ok() || !y_buffer.ok()) return 0;
  std::fill_n(static_cast<float*>((*x_buffer)->data()), weight->in_features(), 0.5f);
  const fovea::backend::Tensor x =
      fovea::backend::Tensor::on(**x_buffer, DType::kF32, fovea::tensor::Shape({1, weight->in_features()}));
  const fovea::backend::Tensor y =
      fovea::backend::Tensor::on(**y_buffer, DType::kF32, fovea::tensor::Shape({1, weight->out_features()}));
  for (fovea::backend::cpu::CpuBackend* backend : {&reference_backend, &fast_backend}) {
    const fovea::base::Status status = backend->ops().linear(backend->default_stream(), x, *weight, nullptr, y);
    if (!status.ok()) __builtin_trap();  // a weight load_linear built must always run
  }
  return 0;
}
