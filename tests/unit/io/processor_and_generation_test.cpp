// Preprocessor and generation configs: fixture values against what transformers itself loaded (expected.json),
// transformers' file preference and class defaults, malformed values.
#include <gtest/gtest.h>

#include "io/generation_config.h"
#include "io/preprocessor_config.h"
#include "io_test_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;
using testing::expect_error;

TEST(PreprocessorConfigTest, FixturesMatchTransformers) {
  for (const char* name : {"qwen3-vl-tiny", "qwen3-vl-tiny-legacy"}) {
    SCOPED_TRACE(name);
    json expected = testing::expected_for(name);
    auto image = load_image_processor_config(testing::fixture(name));
    ASSERT_TRUE(image.ok()) << image.status().message();
    EXPECT_EQ(image->source_file, "preprocessor_config.json");
    EXPECT_EQ(image->patch_size, expected.at("image_processor").at("patch_size").get<int64_t>());
    EXPECT_EQ(image->size.shortest_edge, expected.at("image_processor").at("min_pixels").get<int64_t>());
    EXPECT_EQ(image->size.longest_edge, expected.at("image_processor").at("max_pixels").get<int64_t>());
    EXPECT_EQ(image->image_mean, (std::vector<double>{0.5, 0.5, 0.5}));
    auto video = load_video_processor_config(testing::fixture(name));
    ASSERT_TRUE(video.ok()) << video.status().message();
    EXPECT_DOUBLE_EQ(video->fps, expected.at("video_processor").at("fps").get<double>());
    EXPECT_EQ(video->size.shortest_edge, expected.at("video_processor").at("min_pixels").get<int64_t>());
    EXPECT_EQ(video->size.longest_edge, expected.at("video_processor").at("max_pixels").get<int64_t>());
  }
  // Without video_preprocessor_config.json the video processor reads preprocessor_config.json (transformers).
  auto video = load_video_processor_config(testing::fixture("qwen3-vl-tiny-legacy"));
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(video->source_file, "preprocessor_config.json");
}

TEST(PreprocessorConfigTest, ClassDefaultsWithoutFiles) {
  testing::TempDir dir;
  auto image = load_image_processor_config(dir.path());
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->source_file, "");
  EXPECT_EQ(image->patch_size, 14);
  EXPECT_EQ(image->size.shortest_edge, 56 * 56);
  EXPECT_EQ(image->size.longest_edge, 28 * 28 * 1280);
  EXPECT_DOUBLE_EQ(image->image_mean[0], 0.48145466);
  auto video = load_video_processor_config(dir.path());
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(video->patch_size, 16);
  EXPECT_EQ(video->size.shortest_edge, 128 * 32 * 32);
  EXPECT_EQ(video->min_frames, 4);
  EXPECT_EQ(video->max_frames, 768);
}

TEST(PreprocessorConfigTest, ProcessorConfigNestedDictsComeFirst) {
  testing::TempDir dir;
  dir.write("preprocessor_config.json", R"({"patch_size": 14, "size": {"shortest_edge": 1, "longest_edge": 2}})");
  dir.write("processor_config.json", R"({"processor_class": "Qwen3VLProcessor",
      "image_processor": {"patch_size": 16, "size": {"shortest_edge": 4096, "longest_edge": 65536}},
      "video_processor": {"fps": 4, "size": {"shortest_edge": 4096, "longest_edge": 262144}}})");
  auto image = load_image_processor_config(dir.path());
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->source_file, "processor_config.json");
  EXPECT_EQ(image->patch_size, 16);
  EXPECT_EQ(image->size.longest_edge, 65536);
  auto video = load_video_processor_config(dir.path());
  ASSERT_TRUE(video.ok());
  EXPECT_DOUBLE_EQ(video->fps, 4.0);
  EXPECT_EQ(video->size.longest_edge, 262144);
}

TEST(PreprocessorConfigTest, LegacyPixelKeysOverrideSizeForImagesOnly) {
  auto image = parse_image_processor_config(
      R"({"min_pixels": 3136, "max_pixels": 1000000, "size": {"shortest_edge": 1, "longest_edge": 5}})", "p.json");
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->size.shortest_edge, 3136);
  EXPECT_EQ(image->size.longest_edge, 1000000);
  auto video = parse_video_processor_config(R"({"min_pixels": 3136, "max_pixels": 1000000})", "v.json");
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(video->size.shortest_edge, 128 * 32 * 32);
}

TEST(PreprocessorConfigTest, MalformedValues) {
  expect_error(parse_image_processor_config(R"({"size": 5})", "p.json"), {"p.json", "size", "shortest_edge"});
  expect_error(parse_image_processor_config(R"({"size": {"shortest_edge": 10, "longest_edge": 5}})", "p.json"),
               {"p.json", "size", "shortest_edge <= longest_edge"});
  expect_error(parse_image_processor_config(R"({"image_std": [0.5, 0.0, 0.5]})", "p.json"), {"image_std", "positive"});
  expect_error(parse_image_processor_config(R"({"image_mean": [0.5]})", "p.json"), {"image_mean", "three"});
  expect_error(parse_image_processor_config(R"({"patch_size": "16"})", "p.json"), {"patch_size", "integer"});
  expect_error(parse_video_processor_config(R"({"min_frames": 8, "max_frames": 4})", "v.json"), {"max_frames"});
  expect_error(parse_video_processor_config(R"({"fps": 0})", "v.json"), {"fps", "positive"});
  expect_error(parse_video_processor_config("[]", "v.json"), {"v.json", "object"});
}

TEST(GenerationConfigTest, FixturesMatchTransformers) {
  for (const char* name : {"qwen3-vl-tiny", "qwen3-tiny", "qwen3-vl-tiny-legacy"}) {
    SCOPED_TRACE(name);
    json expected = testing::expected_for(name).at("generation_config");
    auto model = read_model_config(testing::fixture(name));
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto generation = load_generation_config(testing::fixture(name), *model);
    ASSERT_TRUE(generation.ok()) << generation.status().message();
    EXPECT_EQ(generation->source_file, expected.at("source_file").get<std::string>());
    EXPECT_EQ(generation->eos_token_id, expected.at("eos_token_id").get<std::vector<int64_t>>());
    EXPECT_DOUBLE_EQ(generation->temperature, expected.at("temperature").get<double>());
    EXPECT_DOUBLE_EQ(generation->top_p, expected.at("top_p").get<double>());
    EXPECT_EQ(generation->top_k, expected.at("top_k").get<int64_t>());
  }
}

TEST(GenerationConfigTest, FieldsInFileAndDefaults) {
  auto config = parse_generation_config(R"({"temperature": 0.6, "eos_token_id": 7, "top_k": null})", "g.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->in_file("temperature"));
  EXPECT_FALSE(config->in_file("top_k"));
  EXPECT_FALSE(config->in_file("top_p"));
  EXPECT_EQ(config->top_k, 50);
  EXPECT_DOUBLE_EQ(config->top_p, 1.0);
  EXPECT_FALSE(config->do_sample);
  EXPECT_EQ(config->eos_token_id, std::vector<int64_t>{7});
  expect_error(parse_generation_config(R"({"top_p": 1.5})", "g.json"), {"g.json", "top_p"});
  expect_error(parse_generation_config(R"({"temperature": -1})", "g.json"), {"temperature"});
  expect_error(parse_generation_config(R"({"eos_token_id": "x"})", "g.json"), {"eos_token_id", "integer"});
}

}  // namespace
}  // namespace fovea::io
