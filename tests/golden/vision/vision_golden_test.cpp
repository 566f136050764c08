// Vision goldens: fovea's decoders, resize, normalisation and patch order against the outputs of transformers'
// Qwen2VLImageProcessor (torchvision backend) recorded by tools/golden/make_vision_golden.py in data/cases.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "vision/bicubic_resampler.h"
#include "vision/image_decoder.h"
#include "vision/image_preprocessor.h"
#include "vision/patchifier.h"
#include "vision/smart_resize.h"

namespace fovea::vision {
namespace {

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/vision/data/";

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const nlohmann::json& manifest() {
  static const nlohmann::json json = nlohmann::json::parse(read_bytes(kDataDir + "cases.json"));
  return json;
}

std::string sha256_hex(const void* data, size_t num_bytes) {
  return base::Sha256::to_hex(base::Sha256::digest({static_cast<const uint8_t*>(data), num_bytes}));
}

// Decodes a fixture PNG written by the generator and proves the decode right with the recorded hash.
RgbImage load_fixture(const std::string& relative_path, const std::string& expected_sha256) {
  auto image = decode_image(read_bytes(kDataDir + relative_path));
  EXPECT_TRUE(image.ok()) << relative_path << ": " << image.status().to_string();
  if (!image.ok()) return {};
  EXPECT_EQ(sha256_hex(image->pixels.data(), image->pixels.size()), expected_sha256) << relative_path;
  return std::move(image).value();
}

struct PixelDiff {
  size_t num_values = 0;
  size_t num_exact = 0;
  int max_abs = 0;
  double exact_percent() const { return num_values == 0 ? 100.0 : 100.0 * num_exact / num_values; }
};

PixelDiff compare(const std::vector<uint8_t>& actual, const uint8_t* expected, size_t num_values) {
  PixelDiff diff;
  diff.num_values = num_values;
  for (size_t i = 0; i < num_values && i < actual.size(); ++i) {
    const int d = std::abs(int{actual[i]} - int{expected[i]});
    diff.num_exact += d == 0;
    diff.max_abs = std::max(diff.max_abs, d);
  }
  return diff;
}

PreprocessOptions options_of(const nlohmann::json& overrides) {
  PreprocessOptions options;
  const auto& config = manifest()["preprocessor_config"];
  options.min_pixels = config["size"]["shortest_edge"];
  options.max_pixels = config["size"]["longest_edge"];
  options.patch_size = config["patch_size"];
  options.temporal_patch_size = config["temporal_patch_size"];
  options.merge_size = config["merge_size"];
  options.rescale_factor = config["rescale_factor"];
  for (int c = 0; c < 3; ++c) {
    options.image_mean[c] = config["image_mean"][c];
    options.image_std[c] = config["image_std"][c];
  }
  if (overrides.contains("min_pixels")) options.min_pixels = overrides["min_pixels"];
  if (overrides.contains("max_pixels")) options.max_pixels = overrides["max_pixels"];
  if (overrides.contains("image_mean")) {
    for (int c = 0; c < 3; ++c) options.image_mean[c] = overrides["image_mean"][c];
  }
  if (overrides.contains("image_std")) {
    for (int c = 0; c < 3; ++c) options.image_std[c] = overrides["image_std"][c];
  }
  return options;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& c : manifest()["cases"]) names.push_back(c["name"]);
  return names;
}

const nlohmann::json& find_case(const std::string& name) {
  for (const auto& c : manifest()["cases"]) {
    if (c["name"] == name) return c;
  }
  static const nlohmann::json kNone;
  return kNone;
}

class VisionGoldenTest : public testing::TestWithParam<std::string> {};

// Decoded RGB: exact for lossless formats; for lossy ones (PIL bundles a newer libjpeg-turbo / libwebp than the
// system libraries fovea links) the difference is reported and bounded.
TEST_P(VisionGoldenTest, DecodedPixels) {
  const auto& c = find_case(GetParam());
  auto decoded = decode_image(read_bytes(kDataDir + c["file"].get<std::string>()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->width, c["width"]);
  EXPECT_EQ(decoded->height, c["height"]);
  const std::string sha = sha256_hex(decoded->pixels.data(), decoded->pixels.size());
  if (c["lossless"]) {
    EXPECT_EQ(sha, c["decoded_sha256"]) << "PIL mode " << c["pil_mode"];
    return;
  }
  RgbImage reference = load_fixture(c["decoded_png"], c["decoded_sha256"]);
  ASSERT_EQ(reference.pixels.size(), decoded->pixels.size());
  PixelDiff diff = compare(decoded->pixels, reference.pixels.data(), reference.pixels.size());
  std::printf("[decode] %-28s %6.2f%% of values equal PIL's, max |diff| %d\n", GetParam().c_str(), diff.exact_percent(),
              diff.max_abs);
  RecordProperty("decode_exact_percent", std::to_string(diff.exact_percent()));
  EXPECT_LE(diff.max_abs, 2);
}

// Resize alone, fed PIL's decoded pixels: grid from smart_resize, pixels against torchvision's uint8 output.
TEST_P(VisionGoldenTest, ResizedPixels) {
  const auto& c = find_case(GetParam());
  RgbImage decoded;
  if (c["lossless"]) {
    auto mine = decode_image(read_bytes(kDataDir + c["file"].get<std::string>()));
    ASSERT_TRUE(mine.ok()) << mine.status().to_string();
    decoded = std::move(mine).value();
  } else {
    decoded = load_fixture(c["decoded_png"], c["decoded_sha256"]);
  }
  ASSERT_EQ(sha256_hex(decoded.pixels.data(), decoded.pixels.size()), c["decoded_sha256"]);
  const PreprocessOptions options = options_of(c["options"]);
  auto resized = resize_for_model(decoded, options);
  ASSERT_TRUE(resized.ok()) << resized.status().to_string();
  ASSERT_EQ(resized->width, c["resized_width"]);
  ASSERT_EQ(resized->height, c["resized_height"]);
  RgbImage reference = load_fixture(c["resized_png"], c["resized_sha256"]);
  ASSERT_EQ(reference.pixels.size(), resized->pixels.size());
  PixelDiff diff = compare(resized->pixels, reference.pixels.data(), reference.pixels.size());
  std::printf("[resize] %-28s %4ldx%-4ld -> %4ldx%-4ld %7.3f%% exact, max |diff| %d\n", GetParam().c_str(),
              static_cast<long>(decoded.width), static_cast<long>(decoded.height), static_cast<long>(resized->width),
              static_cast<long>(resized->height), diff.exact_percent(), diff.max_abs);
  RecordProperty("resize_exact_percent", std::to_string(diff.exact_percent()));
  EXPECT_LE(diff.max_abs, 1);
}

// Normalise + patchify of the processor's own resized image must give its pixel_values bit for bit (patch order,
// temporal padding, float32 normalisation).
TEST_P(VisionGoldenTest, PatchifyIsBitExact) {
  const auto& c = find_case(GetParam());
  RgbImage resized = load_fixture(c["resized_png"], c["resized_sha256"]);
  auto patches = normalize_and_patchify(resized, options_of(c["options"]));
  ASSERT_TRUE(patches.ok()) << patches.status().to_string();
  EXPECT_EQ(patches->shape.dims(), c["pixel_values_shape"].get<std::vector<int64_t>>());
  EXPECT_EQ(std::vector<int64_t>(patches->grid_thw.begin(), patches->grid_thw.end()),
            c["grid_thw"].get<std::vector<int64_t>>());
  EXPECT_EQ(patches->num_tokens, c["num_tokens"]);
  EXPECT_EQ(sha256_hex(patches->pixel_values.data(), patches->pixel_values.size() * sizeof(float)),
            c["pixel_values_sha256"]);
}

// The whole pipeline from the file: grid exact, pixel_values bit-exact for lossless inputs and within the decode
// and resize tolerance (a few uint8 steps, i.e. a few x 1/127.5) otherwise.
TEST_P(VisionGoldenTest, PipelineFromFile) {
  const auto& c = find_case(GetParam());
  auto result = preprocess_image_bytes(read_bytes(kDataDir + c["file"].get<std::string>()), options_of(c["options"]));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(std::vector<int64_t>(result->grid_thw.begin(), result->grid_thw.end()),
            c["grid_thw"].get<std::vector<int64_t>>());
  EXPECT_EQ(result->num_tokens, c["num_tokens"]);
  EXPECT_EQ(result->shape.dims(), c["pixel_values_shape"].get<std::vector<int64_t>>());
  const std::string sha = sha256_hex(result->pixel_values.data(), result->pixel_values.size() * sizeof(float));
  if (c["lossless"]) {
    EXPECT_EQ(sha, c["pixel_values_sha256"]);
  }
  if (!c.contains("pixel_values_file")) return;
  const std::vector<uint8_t> raw = read_bytes(kDataDir + c["pixel_values_file"].get<std::string>());
  ASSERT_EQ(raw.size(), result->pixel_values.size() * sizeof(float));
  std::vector<float> expected(result->pixel_values.size());
  std::memcpy(expected.data(), raw.data(), raw.size());
  float max_diff = 0.0f;
  for (size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(expected[i] - result->pixel_values[i]));
  }
  std::printf("[pixel_values] %-28s max |diff| %.6f\n", GetParam().c_str(), max_diff);
  EXPECT_LE(max_diff, c["lossless"] ? 0.0f : 3.0f / 127.5f + 1e-6f);
}

INSTANTIATE_TEST_SUITE_P(Cases, VisionGoldenTest, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(VisionGoldenErrors, ProcessorRefusalsAreErrors) {
  ASSERT_FALSE(manifest()["error_cases"].empty());
  for (const auto& c : manifest()["error_cases"]) {
    auto result = preprocess_image_bytes(read_bytes(kDataDir + c["file"].get<std::string>()), PreprocessOptions{});
    ASSERT_FALSE(result.ok()) << c["name"];
    EXPECT_NE(result.status().message().find("aspect ratio"), std::string::npos) << result.status().message();
  }
}

// Many (input size, output size) pairs, both directions, one side unchanged and large ratios, against
// torchvision's uint8 output.
TEST(VisionGoldenResizeSweep, MatchesTorchvision) {
  const auto& sweep = manifest()["resize_sweep"];
  const std::vector<uint8_t> blob = read_bytes(kDataDir + sweep["data"].get<std::string>());
  ASSERT_FALSE(sweep["cases"].empty());
  size_t num_values = 0;
  size_t num_exact = 0;
  size_t num_cases_exact = 0;
  for (const auto& c : sweep["cases"]) {
    RgbImage source = load_fixture(c["source"], c["source_sha256"]);
    auto resized = resize_bicubic_antialias(source, c["height"], c["width"]);
    ASSERT_TRUE(resized.ok()) << resized.status().to_string();
    const size_t offset = c["offset"];
    ASSERT_LE(offset + resized->pixels.size(), blob.size());
    PixelDiff diff = compare(resized->pixels, blob.data() + offset, resized->pixels.size());
    EXPECT_LE(diff.max_abs, 1) << c["source"] << " -> " << c["width"] << "x" << c["height"];
    num_values += diff.num_values;
    num_exact += diff.num_exact;
    num_cases_exact += diff.num_exact == diff.num_values;
  }
  std::printf("[resize sweep] %zu/%zu sizes bit-exact, %.4f%% of values exact\n", num_cases_exact,
              sweep["cases"].size(), 100.0 * num_exact / num_values);
}

TEST(VisionGoldenSmartResize, MatchesTransformers) {
  size_t num_rows = 0;
  for (const auto& row : manifest()["smart_resize"]) {
    auto size = smart_resize(row["height"], row["width"], row["factor"], row["min_pixels"], row["max_pixels"]);
    if (row["result"].is_null()) {
      EXPECT_FALSE(size.ok()) << row.dump();
    } else {
      ASSERT_TRUE(size.ok()) << row.dump() << ": " << size.status().to_string();
      EXPECT_EQ(size->height, row["result"][0]) << row.dump();
      EXPECT_EQ(size->width, row["result"][1]) << row.dump();
    }
    ++num_rows;
  }
  EXPECT_GT(num_rows, 400u);
}

}  // namespace
}  // namespace fovea::vision
