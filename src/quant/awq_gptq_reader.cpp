// AutoAWQ GEMM and GPTQ readers. Both store the matrix transposed ([in, out]) with int32 words, and fp16 scales
// [num_groups, out]; they differ in the packed dim and nibble order:
//   AWQ qweight [K, N/8]: nibble i of word (k, j) is output column 8j + kAwqOrder[i]; qzeros [groups, N/8] the same;
//       zero points are stored as they are.
//   GPTQ qweight [K*bits/32, N]: value i of word (r, n) is input row r*32/bits + i; qzeros [groups, N*bits/32]
//       packed along the output dim; v1 checkpoints store every zero minus one, undone by adding 1 to each value
//       of the word with carries (0x11111111 for int4, as GPTQModel converts v1 to v2), gptq_v2 stores them as they
//       are; g_idx [K] gives each input row's group (act-order when it is not k / group_size).
#include <string>

#include "quant/format_readers.h"

namespace fovea::quant {
namespace {

constexpr int kAwqReverseOrder[8] = {0, 4, 1, 5, 2, 6, 3, 7};  // nibble holding column 8j + c

constexpr std::initializer_list<tensor::DType> kScaleDtypes = {tensor::DType::kF16, tensor::DType::kBF16,
                                                               tensor::DType::kF32};

int64_t group_size_of(const io::QuantizationConfig& config, int64_t num_in) {
  return config.group_size == -1 ? num_in : config.group_size;
}

// Scales [groups, N] in the file into linear.scales [N, groups].
base::Status read_transposed_scales(const LinearTensors& tensors, RepackedLinear& linear) {
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* scales, tensors.require("scales", "the weight scales"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*scales, "scales", kScaleDtypes));
  const int64_t num_groups = linear.num_groups();
  FOVEA_RETURN_IF_ERROR(
      tensors.expect_shape(*scales, "scales", tensor::Shape({num_groups, linear.out_features}),
                           fmt::format("[in / group_size, out] for group_size {}", linear.group_size)));
  const std::vector<float> values = read_floats(*scales);
  linear.scales.resize(values.size());
  for (int64_t group_idx = 0; group_idx < num_groups; ++group_idx) {
    for (int64_t row_idx = 0; row_idx < linear.out_features; ++row_idx) {
      linear.scales[static_cast<size_t>(row_idx * num_groups + group_idx)] =
          values[static_cast<size_t>(group_idx * linear.out_features + row_idx)];
    }
  }
  linear.dequant_dtype = scales->dtype;
  return base::Status();
}

base::Status check_group_size(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  if (config.group_size == -1 || config.group_size > 0) return base::Status();
  return base::data_loss("{}: quantization_config has group_size {}; it must be -1 or positive", tensors.module_name(),
                         config.group_size);
}

}  // namespace

base::Result<RepackedLinear> read_awq_gemm(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  if (config.bits != 4) {
    return base::unsupported("{}: AWQ with {} bits is not supported; fovea loads 4-bit AutoAWQ GEMM checkpoints",
                             tensors.module_name(), config.bits);
  }
  if (config.format != "gemm" && config.format != "GEMM") {
    return base::unsupported(
        "{}: AutoAWQ version \"{}\" is not supported; fovea loads the \"gemm\" layout (convert "
        "GEMV checkpoints with AutoAWQ or use a GEMM export)",
        tensors.module_name(), config.format);
  }
  FOVEA_RETURN_IF_ERROR(check_group_size(tensors, config));
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* qweight, tensors.require("qweight", "the packed weights"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*qweight, "qweight", {tensor::DType::kI32}));
  if (qweight->shape.rank() != 2 || qweight->shape[0] < 1 || qweight->shape[1] < 1) {
    return base::data_loss("tensor {} has shape {}; it must be [in, out / 8] with positive sizes",
                           tensors.tensor_name("qweight"), qweight->shape.to_string());
  }
  RepackedLinear linear;
  linear.format = backend::WeightFormat::kInt4;
  linear.in_features = qweight->shape[0];
  linear.out_features = qweight->shape[1] * 8;
  linear.group_size = group_size_of(config, linear.in_features);
  const int64_t num_out = linear.out_features;
  const int64_t words_per_row = qweight->shape[1];
  FOVEA_RETURN_IF_ERROR(read_transposed_scales(tensors, linear));
  const int64_t num_groups = linear.num_groups();
  const tensor::TensorView* qzeros = tensors.find("qzeros");
  if (qzeros == nullptr && config.symmetric.value_or(false) == false) {
    return base::not_found(
        "tensor {} is missing: quantization_config has zero_point true, so each group needs a "
        "zero point; re-export the checkpoint",
        tensors.tensor_name("qzeros"));
  }
  if (qzeros != nullptr) {
    FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*qzeros, "qzeros", {tensor::DType::kI32}));
    FOVEA_RETURN_IF_ERROR(tensors.expect_shape(*qzeros, "qzeros", tensor::Shape({num_groups, words_per_row}),
                                               "[in / group_size, out / 8]"));
    linear.zeros.resize(static_cast<size_t>(num_out * num_groups));
    for (int64_t row_idx = 0; row_idx < num_out; ++row_idx) {
      for (int64_t group_idx = 0; group_idx < num_groups; ++group_idx) {
        const uint32_t word = read_u32(*qzeros, group_idx * words_per_row + row_idx / 8);
        linear.zeros[static_cast<size_t>(row_idx * num_groups + group_idx)] =
            static_cast<uint8_t>((word >> (4 * kAwqReverseOrder[row_idx % 8])) & 0xfu);
      }
    }
  }
  fill_codes(linear, [&](int64_t row_idx, int64_t col_idx) -> uint32_t {
    const uint32_t word = read_u32(*qweight, col_idx * words_per_row + row_idx / 8);
    return (word >> (4 * kAwqReverseOrder[row_idx % 8])) & 0xfu;
  });
  linear.description =
      fmt::format("awq-gemm int4 {} {}",
                  config.group_size == -1 ? std::string("per channel") : fmt::format("group {}", linear.group_size),
                  qzeros != nullptr ? "asymmetric" : "symmetric");
  return linear;
}

base::Result<RepackedLinear> read_gptq(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  const int64_t bits = config.bits;
  if (bits != 4 && bits != 8) {
    return base::unsupported("{}: GPTQ with {} bits is not supported; fovea loads 4-bit and 8-bit GPTQ",
                             tensors.module_name(), bits);
  }
  const bool v2 = config.format == "gptq_v2";
  if (!v2 && config.format != "gptq") {
    return base::unsupported(
        "{}: GPTQ checkpoint_format \"{}\" is not supported; fovea loads \"gptq\" (v1) and "
        "\"gptq_v2\"",
        tensors.module_name(), config.format);
  }
  FOVEA_RETURN_IF_ERROR(check_group_size(tensors, config));
  const int64_t per_word = 32 / bits;
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* qweight, tensors.require("qweight", "the packed weights"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*qweight, "qweight", {tensor::DType::kI32}));
  if (qweight->shape.rank() != 2 || qweight->shape[0] < 1 || qweight->shape[1] < 1) {
    return base::data_loss("tensor {} has shape {}; it must be [in * {} / 32, out] with positive sizes",
                           tensors.tensor_name("qweight"), qweight->shape.to_string(), bits);
  }
  RepackedLinear linear;
  linear.format = bits == 4 ? backend::WeightFormat::kInt4 : backend::WeightFormat::kInt8;
  linear.out_features = qweight->shape[1];
  linear.in_features = qweight->shape[0] * per_word;
  const tensor::TensorView* g_idx = tensors.find("g_idx");
  if (g_idx != nullptr && g_idx->shape.rank() == 1 && ceil_div(g_idx->shape[0], per_word) == qweight->shape[0]) {
    linear.in_features = g_idx->shape[0];  // K need not be a multiple of the values per word
  }
  linear.group_size = group_size_of(config, linear.in_features);
  const int64_t num_out = linear.out_features;
  FOVEA_RETURN_IF_ERROR(read_transposed_scales(tensors, linear));
  const int64_t num_groups = linear.num_groups();
  const int64_t zero_words = ceil_div(num_out, per_word);
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* qzeros, tensors.require("qzeros", "the zero points"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*qzeros, "qzeros", {tensor::DType::kI32}));
  FOVEA_RETURN_IF_ERROR(tensors.expect_shape(*qzeros, "qzeros", tensor::Shape({num_groups, zero_words}),
                                             fmt::format("[in / group_size, out * {} / 32]", bits)));
  const uint32_t mask = (1u << bits) - 1u;
  const uint32_t v1_offset = bits == 4 ? 0x11111111u : 0x01010101u;
  linear.zeros.resize(static_cast<size_t>(num_out * num_groups));
  for (int64_t group_idx = 0; group_idx < num_groups; ++group_idx) {
    for (int64_t word_idx = 0; word_idx < zero_words; ++word_idx) {
      uint32_t word = read_u32(*qzeros, group_idx * zero_words + word_idx);
      if (!v2) word += v1_offset;
      for (int64_t lane = 0; lane < per_word && word_idx * per_word + lane < num_out; ++lane) {
        const int64_t row_idx = word_idx * per_word + lane;
        linear.zeros[static_cast<size_t>(row_idx * num_groups + group_idx)] =
            static_cast<uint8_t>((word >> (bits * lane)) & mask);
      }
    }
  }
  if (g_idx != nullptr) FOVEA_RETURN_IF_ERROR(apply_g_idx(tensors, "g_idx", *g_idx, linear));
  fill_codes(linear, [&](int64_t row_idx, int64_t col_idx) -> uint32_t {
    const uint32_t word = read_u32(*qweight, (col_idx / per_word) * num_out + row_idx);
    return (word >> (bits * (col_idx % per_word))) & mask;
  });
  linear.description =
      fmt::format("gptq{} int{} {}{}", v2 ? "_v2" : "", bits,
                  config.group_size == -1 ? std::string("per channel") : fmt::format("group {}", linear.group_size),
                  linear.column_order.empty() ? "" : " act-order");
  return linear;
}

base::Result<RepackedLinear> read_fp8_block(const LinearTensors& tensors, const io::QuantizationConfig& config) {
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* weight, tensors.require("weight", "the fp8 weights"));
  if (weight->shape.rank() != 2 || weight->shape[0] < 1 || weight->shape[1] < 1) {
    return base::data_loss("tensor {} has shape {}; it must be [out, in] with positive sizes",
                           tensors.tensor_name("weight"), weight->shape.to_string());
  }
  RepackedLinear linear;
  linear.format = backend::WeightFormat::kFp8;
  linear.out_features = weight->shape[0];
  linear.in_features = weight->shape[1];
  std::string layout = "per tensor";
  if (config.weight_block_size.size() == 2) {
    linear.scale_block_rows = config.weight_block_size[0];
    linear.group_size = config.weight_block_size[1];
    layout = fmt::format("block {}x{}", linear.scale_block_rows, linear.group_size);
  } else {
    linear.scale_block_rows = linear.out_features;
    linear.group_size = linear.in_features;
  }
  FOVEA_ASSIGN_OR_RETURN(const tensor::TensorView* scale,
                         tensors.require("weight_scale_inv", "the fp8 block scales (multipliers despite the name)"));
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(*scale, "weight_scale_inv", kScaleDtypes));
  const int64_t scale_rows = ceil_div(linear.out_features, linear.scale_block_rows);
  const int64_t num_groups = linear.num_groups();
  if (scale->numel() != scale_rows * num_groups || scale->shape.rank() > 2) {
    return tensors.expect_shape(*scale, "weight_scale_inv", tensor::Shape({scale_rows, num_groups}),
                                "one scale per " + layout);
  }
  linear.scales = read_floats(*scale);
  linear.dequant_dtype = scale->dtype;
  linear.file_codes = static_cast<const std::byte*>(weight->data);
  linear.code_row_bytes = linear.in_features;
  linear.description = "fp8 " + layout;
  return linear;
}

}  // namespace fovea::quant
