// compressed-tensors readers. pack-quantized stores 32/bits values per int32 word, element i of a row at bits
// [i*bits, (i+1)*bits) counting from the least significant bit, as unsigned value + 2^(bits-1); for 4 and 8 bits that
// is byte-for-byte backend::Weight's int4 / int8 layout, so without act-order the codes are used in place.
// Zero points are packed the same way along the output dim ([ceil(N*bits/32), num_groups]).
#include <string>

#include "quant/format_readers.h"
#include "quant/module_match.h"

namespace fovea::quant {
namespace {

const io::QuantizationGroup* group_or_null(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  return compressed_tensors_group(config, tensors.module_name());
}

base::Status no_group_error(const LinearTensors& tensors) {
  return base::data_loss(
      "{} is stored quantized but no config_groups entry of quantization_config targets it; the "
      "checkpoint and its config.json disagree, re-download or re-export it",
      tensors.module_name());
}

constexpr std::initializer_list<tensor::DType> kScaleDtypes = {tensor::DType::kBF16, tensor::DType::kF16,
                                                               tensor::DType::kF32};

}  // namespace

base::Result<RepackedLinear> read_compressed_int(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  const io::QuantizationGroup* group = group_or_null(tensors, config);
  if (group == nullptr) return no_group_error(tensors);
  const int64_t bits = group->num_bits;
  if (group->type != "int" || (bits != 4 && bits != 8)) {
    return base::unsupported(
        "{}: compressed-tensors {}{} weights are not supported; fovea loads int4 and int8 "
        "pack-quantized weights",
        tensors.module_name(), group->type, bits);
  }
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* shape_view,
                         tensors.require("weight_shape", "the original [out, in] shape of a packed weight"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*shape_view, "weight_shape", {tensor::DType::kI64, tensor::DType::kI32}));
  FOVEA_RETURN_IF_ERROR(tensors.expect_shape(*shape_view, "weight_shape", tensor::Shape({2}), "(out, in)"));
  const std::vector<int64_t> shape = read_ints(*shape_view);
  RepackedLinear linear;
  linear.format = bits == 4 ? backend::WeightFormat::kInt4 : backend::WeightFormat::kInt8;
  linear.out_features = shape[0];
  linear.in_features = shape[1];
  if (linear.out_features < 1 || linear.in_features < 1 || linear.in_features > (int64_t{1} << 40) ||
      linear.out_features > (int64_t{1} << 40)) {
    return base::data_loss("tensor {} holds the shape [{}, {}]; both sizes must be positive",
                           tensors.tensor_name("weight_shape"), shape[0], shape[1]);
  }
  if (group->strategy == "group") {
    if (group->group_size < 1) {
      return base::data_loss("{}: quantization_config gives group strategy with group_size {}; it must be positive",
                             tensors.module_name(), group->group_size);
    }
    linear.group_size = group->group_size;
  } else if (group->strategy == "channel") {
    linear.group_size = linear.in_features;
  } else {
    return base::unsupported(
        "{}: compressed-tensors int weights with strategy \"{}\" are not supported; fovea "
        "loads the group and channel strategies",
        tensors.module_name(), group->strategy);
  }
  const int64_t num_out = linear.out_features;
  const int64_t num_in = linear.in_features;
  const int64_t num_groups = linear.num_groups();
  const int64_t words_per_row = ceil_div(num_in * bits, 32);

  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* packed, tensors.require("weight_packed", "the packed weights"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*packed, "weight_packed", {tensor::DType::kI32}));
  FOVEA_RETURN_IF_ERROR(
      tensors.expect_shape(*packed, "weight_packed", tensor::Shape({num_out, words_per_row}),
                           fmt::format("[out, ceil(in * {} / 32)] for weight_shape [{}, {}]", bits, num_out, num_in)));
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* scale, tensors.require("weight_scale", "the weight scales"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*scale, "weight_scale", kScaleDtypes));
  FOVEA_RETURN_IF_ERROR(
      tensors.expect_shape(*scale, "weight_scale", tensor::Shape({num_out, num_groups}),
                           fmt::format("[out, in / group_size] for group_size {}", linear.group_size)));
  linear.scales = read_floats(*scale);
  linear.dequant_dtype = scale->dtype;

  const tensor::TensorView* zero_point = tensors.find("weight_zero_point");
  if (zero_point == nullptr && !group->symmetric) {
    return base::not_found(
        "tensor {} is missing: quantization_config says the weights are asymmetric "
        "(symmetric: false), so each group needs a zero point; re-export the checkpoint",
        tensors.tensor_name("weight_zero_point"));
  }
  if (zero_point != nullptr) {
    FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*zero_point, "weight_zero_point", {tensor::DType::kI32}));
    FOVEA_RETURN_IF_ERROR(tensors.expect_shape(*zero_point, "weight_zero_point",
                                               tensor::Shape({ceil_div(num_out * bits, 32), num_groups}),
                                               "zero points packed along the output dim"));
    linear.zeros.resize(static_cast<size_t>(num_out * num_groups));
    const uint32_t mask = (1u << bits) - 1u;
    for (int64_t row_idx = 0; row_idx < num_out; ++row_idx) {
      const int64_t bit = row_idx * bits;
      for (int64_t group_idx = 0; group_idx < num_groups; ++group_idx) {
        const uint32_t word = read_u32(*zero_point, (bit / 32) * num_groups + group_idx);
        linear.zeros[static_cast<size_t>(row_idx * num_groups + group_idx)] =
            static_cast<uint8_t>((word >> (bit % 32)) & mask);
      }
    }
  }

  const tensor::TensorView* g_idx = tensors.find("weight_g_idx");
  if (g_idx == nullptr && group->actorder == "group") {
    return base::not_found(
        "tensor {} is missing: quantization_config says actorder \"group\", which stores the "
        "group of every input column; re-export the checkpoint",
        tensors.tensor_name("weight_g_idx"));
  }
  if (g_idx != nullptr) FOVEA_RETURN_IF_ERROR(apply_g_idx(tensors, "weight_g_idx", *g_idx, linear));

  if (linear.column_order.empty()) {
    linear.file_codes = static_cast<const std::byte*>(packed->data);
    linear.code_row_bytes = words_per_row * 4;
  } else {
    const auto* bytes = static_cast<const uint8_t*>(packed->data);
    const int64_t row_bytes = words_per_row * 4;
    fill_codes(linear, [&](int64_t row_idx, int64_t col_idx) -> uint32_t {
      const uint8_t byte = bytes[row_idx * row_bytes + (bits == 4 ? col_idx / 2 : col_idx)];
      return bits == 4 ? (byte >> (4 * (col_idx % 2))) & 0xfu : byte;
    });
  }
  linear.description =
      fmt::format("compressed-tensors int{} {} {}", bits,
                  group->strategy == "group" ? fmt::format("group {}", linear.group_size) : std::string("per channel"),
                  zero_point != nullptr ? "asymmetric" : "symmetric");
  if (!linear.column_order.empty()) linear.description += " act-order";
  return linear;
}

base::Result<RepackedLinear> read_compressed_float(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  const io::QuantizationGroup* group = group_or_null(tensors, config);
  if (group == nullptr) return no_group_error(tensors);
  if (group->type != "float" || group->num_bits != 8) {
    return base::data_loss(
        "{} has an F8_E4M3 weight but its config group says {}{}; the checkpoint and its "
        "config.json disagree",
        tensors.module_name(), group->type, group->num_bits);
  }
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* weight, tensors.require("weight", "the fp8 weights"));
  if (weight->shape.rank() != 2) {
    return tensors.expect_shape(*weight, "weight", tensor::Shape({0, 0}), "a rank-2 [out, in] matrix");
  }
  RepackedLinear linear;
  linear.format = backend::WeightFormat::kFp8;
  linear.out_features = weight->shape[0];
  linear.in_features = weight->shape[1];
  if (linear.out_features < 1 || linear.in_features < 1) {
    return base::data_loss("tensor {} has shape {}; both sizes must be positive", tensors.tensor_name("weight"),
                           weight->shape.to_string());
  }
  const int64_t num_out = linear.out_features;
  const int64_t num_in = linear.in_features;
  std::string layout;
  if (group->strategy == "channel") {
    linear.group_size = num_in;
    layout = "per channel";
  } else if (group->strategy == "tensor") {
    linear.group_size = num_in;
    linear.scale_block_rows = num_out;
    layout = "per tensor";
  } else if (group->strategy == "group" && group->group_size > 0) {
    linear.group_size = group->group_size;
    layout = fmt::format("group {}", group->group_size);
  } else if (group->strategy == "block" && group->block_structure.size() == 2 && group->block_structure[0] > 0 &&
             group->block_structure[1] > 0) {
    linear.scale_block_rows = group->block_structure[0];
    linear.group_size = group->block_structure[1];
    layout = fmt::format("block {}x{}", group->block_structure[0], group->block_structure[1]);
  } else {
    return base::unsupported(
        "{}: compressed-tensors fp8 weights with strategy \"{}\" are not supported; fovea "
        "loads channel, tensor, group and block (with a 2-entry block_structure) scales",
        tensors.module_name(), group->strategy);
  }
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* scale, tensors.require("weight_scale", "the fp8 weight scales"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*scale, "weight_scale", kScaleDtypes));
  const int64_t scale_rows = ceil_div(num_out, linear.scale_block_rows);
  const int64_t num_groups = linear.num_groups();
  if (scale->numel() != scale_rows * num_groups || scale->shape.rank() > 2) {
    return tensors.expect_shape(*scale, "weight_scale", tensor::Shape({scale_rows, num_groups}),
                                "one scale per " + layout);
  }
  linear.scales = read_floats(*scale);
  linear.dequant_dtype = scale->dtype;
  linear.file_codes = static_cast<const std::byte*>(weight->data);
  linear.code_row_bytes = num_in;
  linear.description = "compressed-tensors fp8 " + layout;
  return linear;
}

}  // namespace fovea::quant
