// quant::load_linear on synthetic checkpoints of every format: tensors written from random codes as the producers
// write them (spec §6), then the loaded Weight's dequantised matrix compared with the formula on those codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/quant_dequant.h"
#include "quant/linear_loader.h"
#include "quant_test_util.h"

namespace fovea::quant {
namespace {

using tensor::DType;
using testing::pack_columns;
using testing::parse_config;
using testing::SyntheticCheckpoint;
using testing::transpose;

constexpr const char* kModule = "model.layers.0.mlp.down_proj";

std::string name(const char* suffix) { return std::string(kModule) + "." + suffix; }

float round_to(DType dtype, float value) {
  if (dtype == DType::kBF16) return tensor::round_to_bf16(value);
  if (dtype == DType::kF16) return tensor::round_to_f16(value);
  return value;
}

class LoaderTest : public ::testing::Test {
 protected:
  std::vector<uint32_t> random_codes(int64_t count, uint32_t limit) {
    std::uniform_int_distribution<uint32_t> dist(0, limit - 1);
    std::vector<uint32_t> out(static_cast<size_t>(count));
    for (uint32_t& value : out) value = dist(rng_);
    return out;
  }
  // Scales already representable in `dtype`, so the expectation uses exactly what the file holds.
  std::vector<float> random_scales(int64_t count, DType dtype) {
    std::uniform_real_distribution<float> dist(0.001f, 0.05f);
    std::vector<float> out(static_cast<size_t>(count));
    for (float& value : out) value = round_to(dtype, dist(rng_));
    return out;
  }
  std::vector<float> dequantized(const SyntheticCheckpoint& checkpoint, const io::QuantizationConfig* config,
                                 int64_t num_out, int64_t num_in) {
    base::Result<backend::Weight> weight = load_linear(checkpoint.lookup(), kModule, config, backend_);
    EXPECT_TRUE(weight.ok()) << weight.status().to_string();
    if (!weight.ok()) return {};
    EXPECT_EQ(weight->out_features(), num_out);
    EXPECT_EQ(weight->in_features(), num_in);
    EXPECT_TRUE(backend::cpu::check_quantized_weight("test", *weight).ok());
    std::vector<float> out(static_cast<size_t>(num_out * num_in));
    backend::cpu::dequantize_matrix(*weight, out.data());
    return out;
  }

  backend::cpu::CpuBackend backend_{backend::cpu::CpuBackendOptions{1, true, {}}};
  std::mt19937 rng_{7};
};

TEST_F(LoaderTest, CompressedTensorsInt4SymmetricIsUsedInPlace) {
  const int64_t num_out = 40;
  const int64_t num_in = 96;
  const int64_t group = 32;
  const std::vector<uint32_t> codes = random_codes(num_out * num_in, 16);
  const std::vector<float> scales = random_scales(num_out * (num_in / group), DType::kBF16);
  SyntheticCheckpoint checkpoint;
  checkpoint.add_i32(name("weight_packed"), {num_out, num_in / 8}, pack_columns(codes, num_out, num_in, 4));
  checkpoint.add_floats(name("weight_scale"), DType::kBF16, {num_out, num_in / group}, scales);
  checkpoint.add<int64_t>(name("weight_shape"), DType::kI64, {2}, {num_out, num_in});
  const io::QuantizationConfig config = parse_config(R"({"quant_method": "compressed-tensors",
      "format": "pack-quantized", "config_groups": {"group_0": {"targets": ["Linear"],
      "weights": {"num_bits": 4, "type": "int", "symmetric": true, "strategy": "group", "group_size": 32}}}})");
  base::Result<backend::Weight> weight = load_linear(checkpoint.lookup(), kModule, &config, backend_);
  ASSERT_TRUE(weight.ok()) << weight.status().to_string();
  EXPECT_EQ(weight->format, backend::WeightFormat::kInt4);
  EXPECT_TRUE(weight->values.buffer->read_only()) << "the packed words should be used in place";
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      const float expected = round_to(
          DType::kBF16, (static_cast<float>(codes[n * num_in + k]) - 8.0f) * scales[n * (num_in / group) + k / group]);
      ASSERT_EQ(actual[n * num_in + k], expected) << n << ", " << k;
    }
  }
}

TEST_F(LoaderTest, CompressedTensorsInt4AsymmetricWithActOrder) {
  const int64_t num_out = 12;  // not a multiple of 8: the last zero-point word is partly padding
  const int64_t num_in = 64;
  const int64_t group = 16;
  const int64_t num_groups = num_in / group;
  const std::vector<uint32_t> codes = random_codes(num_out * num_in, 16);
  const std::vector<uint32_t> zeros = random_codes(num_out * num_groups, 16);
  const std::vector<float> scales = random_scales(num_out * num_groups, DType::kF16);
  std::vector<int32_t> g_idx(num_in);
  for (int64_t k = 0; k < num_in; ++k) g_idx[k] = static_cast<int32_t>(k / group);
  std::shuffle(g_idx.begin(), g_idx.end(), rng_);
  SyntheticCheckpoint checkpoint;
  checkpoint.add_i32(name("weight_packed"), {num_out, num_in / 8}, pack_columns(codes, num_out, num_in, 4));
  checkpoint.add_floats(name("weight_scale"), DType::kF16, {num_out, num_groups}, scales);
  checkpoint.add<int32_t>(name("weight_shape"), DType::kI32, {2}, {static_cast<int32_t>(num_out), num_in});
  // Packed along the output dim: transpose, pack the rows, transpose back.
  const std::vector<uint32_t> zero_words =
      transpose(pack_columns(transpose(zeros, num_out, num_groups), num_groups, num_out, 4), num_groups, 2);
  checkpoint.add_i32(name("weight_zero_point"), {2, num_groups}, zero_words);
  checkpoint.add<int32_t>(name("weight_g_idx"), DType::kI32, {num_in}, g_idx);
  const io::QuantizationConfig config = parse_config(R"({"quant_method": "compressed-tensors",
      "format": "pack-quantized", "config_groups": {"group_0": {"targets": ["Linear"],
      "weights": {"num_bits": 4, "type": "int", "symmetric": false, "strategy": "group", "group_size": 16,
                  "actorder": "group"}}}})");
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      const int64_t g = g_idx[k];
      const float expected = round_to(
          DType::kF16, (static_cast<float>(codes[n * num_in + k]) - static_cast<float>(zeros[n * num_groups + g])) *
                           scales[n * num_groups + g]);
      ASSERT_EQ(actual[n * num_in + k], expected) << n << ", " << k;
    }
  }
}

TEST_F(LoaderTest, CompressedTensorsInt8ChannelWithPaddedRows) {
  const int64_t num_out = 10;
  const int64_t num_in = 38;  // 38 bytes in 10 words per row: rows keep a 40-byte stride
  const std::vector<uint32_t> codes = random_codes(num_out * num_in, 256);
  const std::vector<float> scales = random_scales(num_out, DType::kF32);
  SyntheticCheckpoint checkpoint;
  checkpoint.add_i32(name("weight_packed"), {num_out, 10}, pack_columns(codes, num_out, num_in, 8));
  checkpoint.add_floats(name("weight_scale"), DType::kF32, {num_out, 1}, scales);
  checkpoint.add<int64_t>(name("weight_shape"), DType::kI64, {2}, {num_out, num_in});
  const io::QuantizationConfig config = parse_config(R"({"quant_method": "compressed-tensors",
      "config_groups": {"group_0": {"targets": ["re:.*mlp.*"],
      "weights": {"num_bits": 8, "type": "int", "symmetric": true, "strategy": "channel"}}}})");
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      ASSERT_EQ(actual[n * num_in + k], (static_cast<float>(codes[n * num_in + k]) - 128.0f) * scales[n]);
    }
  }
}

// FP8 codes spread over the whole byte range but NaN (0x7f / 0xff).
std::vector<uint8_t> random_fp8(std::mt19937& rng, int64_t count) {
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<uint8_t> out(static_cast<size_t>(count));
  for (uint8_t& value : out) {
    do value = static_cast<uint8_t>(dist(rng));
    while ((value & 0x7f) == 0x7f);
  }
  return out;
}

TEST_F(LoaderTest, Fp8FormatsWithPartialBlocks) {
  const int64_t num_out = 10;
  const int64_t num_in = 20;
  const std::vector<uint8_t> codes = random_fp8(rng_, num_out * num_in);
  // Blocks of 4 rows x 8 columns: 3 x 3 scales, the last row and column of blocks partial.
  for (const bool compressed_tensors : {false, true}) {
    const DType scale_dtype = compressed_tensors ? DType::kBF16 : DType::kF32;
    const std::vector<float> scales = random_scales(9, scale_dtype);
    SyntheticCheckpoint checkpoint;
    checkpoint.add(name("weight"), DType::kF8E4M3, {num_out, num_in}, codes);
    checkpoint.add_floats(name(compressed_tensors ? "weight_scale" : "weight_scale_inv"), scale_dtype, {3, 3}, scales);
    const io::QuantizationConfig config = parse_config(
        compressed_tensors ? R"({"quant_method": "compressed-tensors", "format": "float-quantized", "config_groups":
              {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "float", "strategy": "block",
               "block_structure": [4, 8]}}}})"
                           : R"({"quant_method": "fp8", "weight_block_size": [4, 8]})");
    const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
    for (int64_t n = 0; n < num_out; ++n) {
      for (int64_t k = 0; k < num_in; ++k) {
        const float code = tensor::f8e4m3_to_float(codes[n * num_in + k]);
        ASSERT_EQ(actual[n * num_in + k], round_to(scale_dtype, code * scales[(n / 4) * 3 + k / 8]))
            << compressed_tensors << " " << n << ", " << k;
      }
    }
  }
}

TEST_F(LoaderTest, AutoAwqGemmInterleavedNibbles) {
  const int64_t num_out = 24;
  const int64_t num_in = 64;
  const int64_t group = 32;
  const int64_t num_groups = num_in / group;
  const std::vector<uint32_t> codes = random_codes(num_out * num_in, 16);  // [N, K]
  const std::vector<uint32_t> zeros = random_codes(num_out * num_groups, 16);
  const std::vector<float> scales = random_scales(num_groups * num_out, DType::kF16);  // [groups, N] as stored
  // AutoAWQ packs [K, N] along N with nibble i holding column 8j + kOrder[i].
  constexpr int kOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  auto awq_pack = [&](const std::vector<uint32_t>& values_kn, int64_t rows) {
    std::vector<uint32_t> out(static_cast<size_t>(rows * num_out / 8), 0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < num_out / 8; ++j) {
        for (int i = 0; i < 8; ++i) out[r * (num_out / 8) + j] |= values_kn[r * num_out + 8 * j + kOrder[i]] << (4 * i);
      }
    }
    return out;
  };
  SyntheticCheckpoint checkpoint;
  checkpoint.add_i32(name("qweight"), {num_in, num_out / 8}, awq_pack(transpose(codes, num_out, num_in), num_in));
  checkpoint.add_i32(name("qzeros"), {num_groups, num_out / 8},
                     awq_pack(transpose(zeros, num_out, num_groups), num_groups));
  checkpoint.add_floats(name("scales"), DType::kF16, {num_groups, num_out}, scales);
  const io::QuantizationConfig config =
      parse_config(R"({"quant_method": "awq", "bits": 4, "group_size": 32, "zero_point": true, "version": "gemm"})");
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      const int64_t g = k / group;
      const float expected = round_to(
          DType::kF16, (static_cast<float>(codes[n * num_in + k]) - static_cast<float>(zeros[n * num_groups + g])) *
                           scales[g * num_out + n]);
      ASSERT_EQ(actual[n * num_in + k], expected) << n << ", " << k;
    }
  }
}

struct GptqCase {
  int bits;
  bool v2;
  bool act_order;
};

class GptqTest : public LoaderTest, public ::testing::WithParamInterface<GptqCase> {};

TEST_P(GptqTest, ZerosAndActOrder) {
  const GptqCase c = GetParam();
  const int64_t num_out = 20;
  const int64_t num_in = 64;
  const int64_t group = 16;
  const int64_t num_groups = num_in / group;
  const uint32_t limit = 1u << c.bits;
  const std::vector<uint32_t> codes = random_codes(num_out * num_in, limit);
  // True zeros in [1, limit): a v1 file stores zero - 1 per value, which never borrows across values then.
  std::vector<uint32_t> zeros = random_codes(num_out * num_groups, limit - 1);
  for (uint32_t& zero : zeros) zero += 1;
  std::vector<uint32_t> stored = zeros;
  if (!c.v2) {
    for (uint32_t& zero : stored) zero -= 1;
  }
  const std::vector<float> scales = random_scales(num_groups * num_out, DType::kF16);
  std::vector<int32_t> g_idx(num_in);
  for (int64_t k = 0; k < num_in; ++k) g_idx[k] = static_cast<int32_t>(k / group);
  if (c.act_order) std::shuffle(g_idx.begin(), g_idx.end(), rng_);
  SyntheticCheckpoint checkpoint;
  // qweight [K * bits / 32, N]: packed along the input dim.
  const std::vector<uint32_t> qweight =
      transpose(pack_columns(codes, num_out, num_in, c.bits), num_out, num_in * c.bits / 32);
  checkpoint.add_i32(name("qweight"), {num_in * c.bits / 32, num_out}, qweight);
  const int64_t zero_words = (num_out * c.bits + 31) / 32;
  checkpoint.add_i32(name("qzeros"), {num_groups, zero_words},
                     pack_columns(transpose(stored, num_out, num_groups), num_groups, num_out, c.bits));
  checkpoint.add_floats(name("scales"), DType::kF16, {num_groups, num_out}, scales);
  checkpoint.add<int32_t>(name("g_idx"), DType::kI32, {num_in}, g_idx);
  const io::QuantizationConfig config = parse_config(
      fmt::format(R"({{"bits": {}, "group_size": 16, "desc_act": {}, "sym": false, "checkpoint_format": "{}"}})",
                  c.bits, c.act_order ? "true" : "false", c.v2 ? "gptq_v2" : "gptq"),
      /*assume_gptq=*/true);
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      const int64_t g = g_idx[k];
      const float expected = round_to(
          DType::kF16, (static_cast<float>(codes[n * num_in + k]) - static_cast<float>(zeros[n * num_groups + g])) *
                           scales[g * num_out + n]);
      ASSERT_EQ(actual[n * num_in + k], expected) << n << ", " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, GptqTest,
                         ::testing::Values(GptqCase{4, false, false}, GptqCase{4, false, true}, GptqCase{4, true, true},
                                           GptqCase{8, false, true}, GptqCase{8, true, false}));

TEST_F(LoaderTest, GptqV1ZeroOfZeroBorrowsLikeGptqModel) {
  // A true zero of 0 is stored as 0 - 1 with a borrow from the next value (GPTQModel subtracts 0x11111111 from
  // the word); reading adds it back with the carry, so the zero points come back as written.
  SyntheticCheckpoint checkpoint;
  const int64_t num_out = 8;
  const int64_t num_in = 8;
  checkpoint.add_i32(name("qweight"), {1, num_out}, std::vector<uint32_t>(8, 0x76543210u));
  checkpoint.add_i32(name("qzeros"), {1, 1}, {0x87654320u - 0x11111111u});
  checkpoint.add_floats(name("scales"), DType::kF16, {1, num_out}, std::vector<float>(8, 1.0f));
  const io::QuantizationConfig config =
      parse_config(R"({"bits": 4, "group_size": -1, "sym": false})", /*assume_gptq=*/true);
  const std::vector<float> actual = dequantized(checkpoint, &config, num_out, num_in);
  const uint32_t zeros[8] = {0, 2, 3, 4, 5, 6, 7, 8};
  for (int64_t n = 0; n < num_out; ++n) {
    for (int64_t k = 0; k < num_in; ++k) {
      ASSERT_EQ(actual[n * num_in + k], static_cast<float>(k) - static_cast<float>(zeros[n])) << n << ", " << k;
    }
  }
}

TEST_F(LoaderTest, DenseWeightsAreWrappedInPlaceAndKeepTheirDtype) {
  SyntheticCheckpoint checkpoint;
  checkpoint.add_floats(name("weight"), DType::kF16, {3, 5}, std::vector<float>(15, 0.5f));
  base::Result<backend::Weight> weight = load_linear(checkpoint.lookup(), kModule, nullptr, backend_);
  ASSERT_TRUE(weight.ok()) << weight.status().to_string();
  EXPECT_EQ(weight->format, backend::WeightFormat::kDense);
  EXPECT_EQ(weight->values.dtype, DType::kF16);
  EXPECT_EQ(weight->values.shape, tensor::Shape({3, 5}));
  EXPECT_TRUE(weight->values.buffer->read_only());
  EXPECT_EQ(weight->storage.size(), 1u);
}

}  // namespace
}  // namespace fovea::quant
