// `--quantization fp8` on an unquantized checkpoint (vLLM's online FP8): quant::quantize_fp8_per_tensor on two
// Linears of the tiny Qwen3 checkpoint must give torch's per-tensor scale and float8_e4m3fn codes byte for byte
// (tests/golden/quant/data/online-fp8, made by tools/golden/make_online_fp8_golden.py).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "io/weight_table.h"
#include "quant/online_fp8.h"
#include "quant/tensor_lookup.h"
#include "quant_golden_cases.h"

namespace fovea::quant {
namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(OnlineFp8Golden, ScaleAndCodesEqualTorch) {
  const std::filesystem::path data = testing::kQuantData / "online-fp8";
  const nlohmann::json document = nlohmann::json::parse(std::ifstream(data / "cases.json"));
  base::Result<io::WeightTable> table = io::WeightTable::open((testing::kModelData / "checkpoints/qwen3-tiny").string());
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  const WeightTableLookup lookup(*table);
  ASSERT_EQ(document.at("cases").size(), 2u);
  for (const nlohmann::json& entry : document.at("cases")) {
    const std::string module = entry.at("module").get<std::string>();
    SCOPED_TRACE(module);
    const tensor::TensorView* weight = lookup.find(module + ".weight");
    ASSERT_NE(weight, nullptr);
    base::Result<RepackedLinear> linear = quantize_fp8_per_tensor(*weight, module + ".weight");
    ASSERT_TRUE(linear.ok()) << linear.status().to_string();
    EXPECT_EQ(linear->format, backend::WeightFormat::kFp8);
    EXPECT_EQ(linear->out_features, entry.at("shape")[0].get<int64_t>());
    EXPECT_EQ(linear->in_features, entry.at("shape")[1].get<int64_t>());
    ASSERT_EQ(linear->scales.size(), 1u);
    EXPECT_EQ(static_cast<double>(linear->scales[0]), entry.at("scale").get<double>());
    const std::vector<uint8_t> expected = read_file(data / (module + ".fp8"));
    ASSERT_EQ(linear->codes.size(), expected.size());
    int64_t num_different = 0;
    for (size_t i = 0; i < expected.size(); ++i) num_different += linear->codes[i] != expected[i] ? 1 : 0;
    EXPECT_EQ(num_different, 0) << "fp8 codes differ from torch's";
  }
}

}  // namespace
}  // namespace fovea::quant
