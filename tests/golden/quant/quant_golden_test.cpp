// Quantized checkpoints written by the real producer libraries (tests/golden/quant/data, made by
// tools/golden/make_quant_goldens.py): every quantized Linear loaded by quant::load_linear must dequantise to exactly
// the library's dequantised weight (SHA-256 of the values in the library's dtype; one layer also value by value),
// the fast quantized linear must match the dense reference linear over the library's weights within float
// tolerance, unquantized modules must load dense, and inspect's format census and the --quantization check must agree.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/quant_dequant.h"
#include "base/sha256.h"
#include "io/model_config.h"
#include "io/weight_table.h"
#include "quant/format_census.h"
#include "quant/linear_loader.h"
#include "quant/quantization_flag.h"
#include "quant_golden_cases.h"
#include "tensor/float_convert.h"

namespace fovea::quant {
namespace {

using nlohmann::json;
using testing::case_names;
using testing::read_json;

const std::filesystem::path& kData = testing::kQuantData;

std::vector<uint8_t> base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int num_bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    num_bits += 6;
    if (num_bits >= 8) {
      num_bits -= 8;
      out.push_back(static_cast<uint8_t>((bits >> num_bits) & 0xffu));
    }
  }
  return out;
}

// The dequantised values as the library's dtype would store them ("bfloat16", "float16", "float32").
std::vector<uint8_t> as_bytes(const std::vector<float>& values, const std::string& dtype) {
  std::vector<uint8_t> out;
  for (float value : values) {
    uint32_t bits = 0;
    int num_bytes = 2;
    if (dtype == "bfloat16") {
      bits = tensor::float_to_bf16(value);
    } else if (dtype == "float16") {
      bits = tensor::float_to_f16(value);
    } else {
      std::memcpy(&bits, &value, 4);
      num_bytes = 4;
    }
    for (int byte_idx = 0; byte_idx < num_bytes; ++byte_idx)
      out.push_back(static_cast<uint8_t>(bits >> (8 * byte_idx)));
  }
  return out;
}

class QuantGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    record_ = read_json(kData / "cases" / (GetParam() + ".json"));
    folder_ = (kData / "checkpoints" / GetParam()).string();
    base::Result<io::ModelConfig> config = io::load_model_config(folder_);
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    config_ = std::move(config).value();
    base::Result<io::WeightTable> table = io::WeightTable::open(folder_);
    ASSERT_TRUE(table.ok()) << table.status().to_string();
    table_.emplace(std::move(table).value());
  }

  std::vector<float> dequantised(const std::string& module) {
    base::Result<backend::Weight> weight = load_linear(*table_, module, config_, backend_);
    EXPECT_TRUE(weight.ok()) << module << ": " << weight.status().to_string();
    if (!weight.ok()) return {};
    EXPECT_TRUE(weight->is_quantized()) << module;
    std::vector<float> out(static_cast<size_t>(weight->out_features() * weight->in_features()));
    backend::cpu::dequantize_matrix(*weight, out.data());
    return out;
  }

  json record_;
  std::string folder_;
  io::ModelConfig config_;
  std::optional<io::WeightTable> table_;
  backend::cpu::CpuBackend backend_{backend::cpu::CpuBackendOptions{1, true, {}}};
  std::vector<std::unique_ptr<backend::Buffer>> buffers_;
};

TEST_P(QuantGoldenTest, EveryQuantizedLinearDequantisesLikeTheLibrary) {
  ASSERT_FALSE(record_["layers"].empty());
  for (const auto& [module, layer] : record_["layers"].items()) {
    const std::vector<float> values = dequantised(module);
    ASSERT_EQ(static_cast<int64_t>(values.size()), layer["shape"][0].get<int64_t>() * layer["shape"][1].get<int64_t>())
        << module;
    const std::vector<uint8_t> bytes = as_bytes(values, layer["dtype"]);
    EXPECT_EQ(base::Sha256::to_hex(base::Sha256::digest(bytes)), layer["sha256"].get<std::string>())
        << module << " (" << layer["dtype"] << "): first values " << values[0] << " " << values[1] << " vs "
        << layer["first_values"][0] << " " << layer["first_values"][1];
  }
}

TEST_P(QuantGoldenTest, SampleLayerValueByValue) {
  const json& sample = record_["sample_layer"];
  const std::vector<float> values = dequantised(sample["module"]);
  const std::vector<uint8_t> expected = base64_decode(sample["values_base64"]);
  const std::vector<uint8_t> actual = as_bytes(values, sample["dtype"]);
  ASSERT_EQ(actual.size(), expected.size());
  const size_t element_bytes = sample["dtype"] == "float32" ? 4 : 2;
  int64_t num_different = 0;
  for (size_t idx = 0; idx < actual.size(); idx += element_bytes) {
    if (std::memcmp(&actual[idx], &expected[idx], element_bytes) != 0 && num_different++ < 3) {
      ADD_FAILURE() << sample["module"] << " element " << idx / element_bytes << " differs";
    }
  }
  EXPECT_EQ(num_different, 0);
}

// The fast quantized linear (CpuOps, what the engine runs) on fovea's loaded weight against the dense reference
// linear over the library's own dequantised values of the sample layer: equal within fp32 summation order.
TEST_P(QuantGoldenTest, FastLinearMatchesTheLibraryWeightsDense) {
  const json& sample = record_["sample_layer"];
  const std::string module = sample["module"];
  base::Result<backend::Weight> weight = load_linear(*table_, module, config_, backend_);
  ASSERT_TRUE(weight.ok()) << weight.status().to_string();
  const int64_t num_out = sample["shape"][0];
  const int64_t num_in = sample["shape"][1];
  const std::string& dtype_name = sample["dtype"];
  const tensor::DType library_dtype = dtype_name == "bfloat16"  ? tensor::DType::kBF16
                                      : dtype_name == "float16" ? tensor::DType::kF16
                                                                : tensor::DType::kF32;
  const std::vector<uint8_t> library_bytes = base64_decode(sample["values_base64"]);
  ASSERT_EQ(static_cast<int64_t>(library_bytes.size()), num_out * num_in * tensor::dtype_size_bytes(library_dtype));

  auto upload = [&](const void* data, tensor::DType dtype, tensor::Shape shape) {
    base::Result<std::unique_ptr<backend::Buffer>> buffer =
        backend_.allocate(static_cast<size_t>(shape.numel() * tensor::dtype_size_bytes(dtype)));
    EXPECT_TRUE(buffer.ok());
    buffers_.push_back(std::move(buffer).value());
    const backend::Tensor view = backend::Tensor::on(*buffers_.back(), dtype, shape);
    if (data != nullptr) {
      EXPECT_TRUE(backend_.copy_from_host(backend_.default_stream(), data, view).ok());
    }
    return view;
  };
  backend::Weight library;
  library.values = upload(library_bytes.data(), library_dtype, tensor::Shape({num_out, num_in}));

  constexpr int64_t kNumRows = 3;  // decode-sized: the fused decode kernels (AVX2, AVX-512 int4)
  std::vector<float> x_values(static_cast<size_t>(kNumRows * num_in));  // f32 in and out: y's dtype is x's
  uint32_t state = 12345;
  for (float& value : x_values) {
    state = state * 1664525u + 1013904223u;
    value = static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f;
  }
  const backend::Tensor x = upload(x_values.data(), tensor::DType::kF32, tensor::Shape({kNumRows, num_in}));
  const backend::Tensor y_fovea = upload(nullptr, tensor::DType::kF32, tensor::Shape({kNumRows, num_out}));
  const backend::Tensor y_library = upload(nullptr, tensor::DType::kF32, tensor::Shape({kNumRows, num_out}));
  backend::cpu::CpuBackend fast(backend::cpu::CpuBackendOptions{1, false, {}});
  const base::Status fast_status = fast.ops().linear(fast.default_stream(), x, *weight, nullptr, y_fovea);
  ASSERT_TRUE(fast_status.ok()) << fast_status.to_string();
  // backend_ runs the reference op table.
  const base::Status reference_status =
      backend_.ops().linear(backend_.default_stream(), x, library, nullptr, y_library);
  ASSERT_TRUE(reference_status.ok()) << reference_status.to_string();

  // transformers stores Qwen-FP8's dequantised weight in bf16 while fovea keeps the f32 product of the f32 scale
  // (each equal to the library's once rounded to bf16, SampleLayerValueByValue): then the sums differ by up to the
  // weights' bf16 rounding, 2^-9 of each |x·w|.
  const double relative_tolerance = weight->quant.dequant_dtype == library_dtype ? 1e-5 : 0x1p-9;
  const auto* actual = reinterpret_cast<const float*>(y_fovea.host_bytes());
  const auto* expected = reinterpret_cast<const float*>(y_library.host_bytes());
  const std::vector<float> w = dequantised(module);
  for (int64_t row_idx = 0; row_idx < kNumRows; ++row_idx) {
    for (int64_t out_idx = 0; out_idx < num_out; ++out_idx) {
      // Tolerance from the sum of |x·w|: fp32 accumulation in another order.
      double magnitude = 0;
      for (int64_t in_idx = 0; in_idx < num_in; ++in_idx) {
        magnitude += std::abs(x_values[static_cast<size_t>(row_idx * num_in + in_idx)] *
                              w[static_cast<size_t>(out_idx * num_in + in_idx)]);
      }
      const size_t idx = static_cast<size_t>(row_idx * num_out + out_idx);
      ASSERT_NEAR(actual[idx], expected[idx], relative_tolerance * magnitude + 1e-6)
          << "row " << row_idx << " out " << out_idx;
    }
  }
}

TEST_P(QuantGoldenTest, UnquantizedModulesLoadDenseInTheirDtype) {
  std::vector<std::string> dense_modules;
  for (const auto& [name, entry] : table_->entries()) {
    const size_t dot = name.rfind('.');
    const std::string module = name.substr(0, dot);
    if (name.substr(dot + 1) == "weight" && entry.view.shape.rank() == 2 && entry.view.dtype == tensor::DType::kBF16 &&
        !record_["layers"].contains(module) && module.find("embed_tokens") == std::string::npos) {
      dense_modules.push_back(module);
    }
  }
  if (config_.has_vision()) {
    EXPECT_FALSE(dense_modules.empty()) << "the vision tower stays bf16";
  }
  for (const std::string& module : dense_modules) {
    base::Result<backend::Weight> weight = load_linear(*table_, module, config_, backend_);
    ASSERT_TRUE(weight.ok()) << module << ": " << weight.status().to_string();
    EXPECT_EQ(weight->format, backend::WeightFormat::kDense) << module;
    EXPECT_EQ(weight->values.dtype, tensor::DType::kBF16) << module;
  }
}

TEST_P(QuantGoldenTest, FlagAndCensusAgreeWithTheCheckpoint) {
  ASSERT_TRUE(config_.quantization_config.has_value());
  const io::QuantizationConfig& quant = *config_.quantization_config;
  EXPECT_TRUE(check_quantization_flag(&quant, quant.quant_method).ok());
  EXPECT_FALSE(check_quantization_flag(&quant, quant.method == io::QuantMethod::kAwq ? "gptq" : "awq").ok());
  const FormatCensus census = census_formats(*table_, config_);
  uint64_t num_quantized = 0;
  for (const FormatBytes& format : census[io::ModelComponent::kDecoderLayers]) {
    EXPECT_EQ(format.format.find("unreadable"), std::string::npos) << format.format;
    if (format.format.find("dense") == std::string::npos) num_quantized += format.num_linears;
  }
  EXPECT_EQ(num_quantized, record_["layers"].size());
  for (const FormatBytes& format : census[io::ModelComponent::kVisionTower]) {
    EXPECT_EQ(format.format.rfind("dense BF16", 0), 0u) << format.format;
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, QuantGoldenTest, ::testing::ValuesIn(case_names()), testing::param_name);

}  // namespace
}  // namespace fovea::quant
