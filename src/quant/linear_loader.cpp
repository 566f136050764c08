// load_linear: detection, the format readers, then placement on the backend (wrapped or copied).
#include "quant/linear_loader.h"

#include <memory>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "quant/format_readers.h"
#include "quant/linear_format.h"
#include "quant/online_fp8.h"

namespace fovea::quant {
namespace {

// A read-only wrapper of host memory on the CPU backend, or nullptr when the backend is not the CPU one or the data
// is not aligned to `alignment` bytes (safetensors writers other than the reference one do not pad).
std::shared_ptr<backend::Buffer> wrap_in_place(backend::Backend& backend, const void* data, size_t size_bytes,
                                               size_t alignment) {
  auto* cpu = dynamic_cast<backend::cpu::CpuBackend*>(&backend);
  if (cpu == nullptr || reinterpret_cast<uintptr_t>(data) % alignment != 0) return nullptr;
  return std::shared_ptr<backend::Buffer>(cpu->wrap_host_memory(data, size_bytes));
}

// A device buffer holding a copy of `size_bytes` host bytes, viewed as `dtype` `shape` (packed).
base::Result<backend::Tensor> copy_to_device(backend::Backend& backend, const void* data, tensor::DType dtype,
                                             tensor::Shape shape, backend::Weight& weight) {
  const size_t size_bytes = static_cast<size_t>(shape.numel()) * static_cast<size_t>(tensor::dtype_size_bytes(dtype));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend.allocate(size_bytes));
  std::shared_ptr<backend::Buffer> owned(std::move(buffer));
  backend::Tensor view = backend::Tensor::on(*owned, dtype, std::move(shape));
  if (size_bytes > 0) FOVEA_RETURN_IF_ERROR(backend.copy_from_host(backend.default_stream(), data, view));
  weight.storage.push_back(std::move(owned));
  return view;
}

// "<module>.weight", checked to be a matrix.
base::Result<const tensor::TensorView*> find_dense_weight(const TensorLookup& lookup, std::string_view module_name) {
  const std::string name = std::string(module_name) + ".weight";
  const tensor::TensorView* view = lookup.find(name);
  if (view == nullptr) return base::not_found("tensor {} is missing; the checkpoint is incomplete", name);
  if (view->shape.rank() != 2) {
    return base::data_loss("tensor {} has shape {}; a Linear weight must be [out_features, in_features]", name,
                           view->shape.to_string());
  }
  return view;
}

base::Result<backend::Weight> load_dense(const TensorLookup& lookup, std::string_view module_name,
                                         backend::Backend& backend) {
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* view, find_dense_weight(lookup, module_name));
  backend::Weight weight;
  weight.format = backend::WeightFormat::kDense;
  const size_t element_bytes = static_cast<size_t>(tensor::dtype_size_bytes(view->dtype));
  if (std::shared_ptr<backend::Buffer> wrapped =
          wrap_in_place(backend, view->data, view->size_bytes(), element_bytes)) {
    weight.values = backend::Tensor::on(*wrapped, view->dtype, view->shape);
    weight.storage.push_back(std::move(wrapped));
  } else {
    FOVEA_ASSIGN_OR_RETURN(weight.values, copy_to_device(backend, view->data, view->dtype, view->shape, weight));
    FOVEA_RETURN_IF_ERROR(backend.synchronize(backend.default_stream()));
  }
  return weight;
}

tensor::DType code_dtype(backend::WeightFormat format) {
  switch (format) {
    case backend::WeightFormat::kInt4:
      return tensor::DType::kI32;
    case backend::WeightFormat::kInt8:
      return tensor::DType::kU8;
    default:
      return tensor::DType::kF8E4M3;
  }
}

}  // namespace

base::Result<RepackedLinear> read_quantized_linear(const TensorLookup& lookup, std::string_view module_name,
                                                   const io::QuantizationConfig* config) {
  FOVEA_ASSIGN_OR_RETURN(LinearFormat format, detect_linear_format(lookup, module_name, config));
  const LinearTensors tensors(lookup, module_name);
  switch (format) {
    case LinearFormat::kCompressedInt:
      return read_compressed_int(tensors, *config);
    case LinearFormat::kCompressedFloat:
      return read_compressed_float(tensors, *config);
    case LinearFormat::kAwqGemm:
      return read_awq_gemm(tensors, *config);
    case LinearFormat::kGptq:
      return read_gptq(tensors, *config);
    case LinearFormat::kFp8Block:
      return read_fp8_block(tensors, *config);
    case LinearFormat::kDense:
      break;
  }
  return base::invalid_argument("{} is not quantized (its weight is a dense tensor)", module_name);
}

base::Result<backend::Weight> place_linear(const RepackedLinear& linear, backend::Backend& backend) {
  backend::Weight weight;
  weight.format = linear.format;
  const int64_t num_out = linear.out_features;
  const tensor::DType dtype = code_dtype(linear.format);
  const int64_t row_elements = linear.packed_row_bytes() / tensor::dtype_size_bytes(dtype);
  const int64_t stride_elements = linear.code_row_bytes / tensor::dtype_size_bytes(dtype);
  const size_t codes_bytes = static_cast<size_t>(num_out * linear.code_row_bytes);
  std::shared_ptr<backend::Buffer> wrapped;
  if (linear.file_codes != nullptr) wrapped = wrap_in_place(backend, linear.file_codes, codes_bytes, 1);
  if (wrapped) {
    weight.values = backend::Tensor::on(*wrapped, dtype, tensor::Shape({num_out, row_elements}));
    weight.values.row_stride = stride_elements == row_elements ? 0 : stride_elements;
    weight.storage.push_back(std::move(wrapped));
  } else {
    // Copied codes are packed; file codes with padded rows (int8 with K % 4 != 0) keep their stride.
    FOVEA_ASSIGN_OR_RETURN(backend::Tensor codes, copy_to_device(backend, linear.codes_data(), dtype,
                                                                 tensor::Shape({num_out, stride_elements}), weight));
    weight.values = codes.slice_columns(0, row_elements);
    if (stride_elements == row_elements) weight.values.row_stride = 0;
  }
  backend::QuantParams& quant = weight.quant;
  quant.in_features = linear.in_features;
  quant.group_size = linear.group_size;
  quant.scale_block_rows = linear.scale_block_rows;
  quant.dequant_dtype = linear.dequant_dtype;
  const int64_t num_groups = linear.num_groups();
  const int64_t scale_rows = (num_out + linear.scale_block_rows - 1) / linear.scale_block_rows;
  FOVEA_ASSIGN_OR_RETURN(quant.scales, copy_to_device(backend, linear.scales.data(), tensor::DType::kF32,
                                                      tensor::Shape({scale_rows, num_groups}), weight));
  if (!linear.zeros.empty()) {
    FOVEA_ASSIGN_OR_RETURN(quant.zeros, copy_to_device(backend, linear.zeros.data(), tensor::DType::kU8,
                                                       tensor::Shape({num_out, num_groups}), weight));
  }
  if (!linear.column_order.empty()) {
    FOVEA_ASSIGN_OR_RETURN(quant.column_order, copy_to_device(backend, linear.column_order.data(), tensor::DType::kI32,
                                                              tensor::Shape({linear.in_features}), weight));
  }
  FOVEA_RETURN_IF_ERROR(backend.synchronize(backend.default_stream()));
  return weight;
}

base::Result<backend::Weight> load_linear(const TensorLookup& lookup, std::string_view module_name,
                                          const io::QuantizationConfig* config, backend::Backend& backend) {
  FOVEA_ASSIGN_OR_RETURN(LinearFormat format, detect_linear_format(lookup, module_name, config));
  if (format == LinearFormat::kDense) return load_dense(lookup, module_name, backend);
  FOVEA_ASSIGN_OR_RETURN(RepackedLinear linear, read_quantized_linear(lookup, module_name, config));
  return place_linear(linear, backend);
}

base::Result<backend::Weight> load_linear_fp8_online(const TensorLookup& lookup, std::string_view module_name,
                                                     backend::Backend& backend) {
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* view, find_dense_weight(lookup, module_name));
  FOVEA_ASSIGN_OR_RETURN(RepackedLinear linear, quantize_fp8_per_tensor(*view, std::string(module_name) + ".weight"));
  return place_linear(linear, backend);
}

base::Result<backend::Weight> load_linear(const io::WeightTable& table, std::string_view module_name,
                                          const io::ModelConfig& config, backend::Backend& backend) {
  const WeightTableLookup lookup(table);
  const io::QuantizationConfig* quant = config.quantization_config ? &*config.quantization_config : nullptr;
  return load_linear(lookup, module_name, quant, backend);
}

}  // namespace fovea::quant
