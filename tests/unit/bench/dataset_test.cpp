// The bench's datasets and their parts: base64/data URLs, synthetic images, token-length fitting, random and
// random-mm requests, jsonl files with local images, --sweep parsing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/data_url_encoder.h"
#include "bench/dataset_builder.h"
#include "bench/jsonl_dataset.h"
#include "bench/sweep_spec.h"
#include "bench/synthetic_image.h"
#include "vision/base64.h"
#include "vision/image_decoder.h"

namespace fovea::bench {
namespace {

// A stand-in tokenizer: one token per byte (ids are the bytes), so lengths are checkable exactly.
TokenizerCalls byte_tokenizer(int* num_calls) {
  TokenizerCalls calls;
  calls.tokenize = [num_calls](const std::string& text) -> base::Result<std::vector<int64_t>> {
    ++*num_calls;
    return std::vector<int64_t>(text.begin(), text.end());
  };
  calls.detokenize = [](const std::vector<int64_t>& ids) -> base::Result<std::string> {
    return std::string(ids.begin(), ids.end());
  };
  return calls;
}

TEST(DataUrlEncoder, RoundTripsThroughTheServersStrictDecoder) {
  for (size_t size = 0; size < 10; ++size) {
    std::vector<uint8_t> bytes;
    for (size_t idx = 0; idx < size; ++idx) bytes.push_back(static_cast<uint8_t>(idx * 37 + 250));
    auto decoded = vision::decode_base64_strict(encode_base64(bytes), 1 << 20);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(to_data_url(std::vector<uint8_t>{'h', 'i'}, "image/png"), "data:image/png;base64,aGk=");
}

TEST(SyntheticImage, DecodesBackToItsSizeAndDiffersBySeed) {
  for (ImageEncoding encoding : {ImageEncoding::kJpeg, ImageEncoding::kPng}) {
    auto bytes = encode_synthetic_image({64, 40}, 1, encoding);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto image = vision::decode_image(*bytes);
    ASSERT_TRUE(image.ok()) << image.status().message();
    EXPECT_EQ(image->width, 64);
    EXPECT_EQ(image->height, 40);
    EXPECT_NE(*bytes, *encode_synthetic_image({64, 40}, 2, encoding));
  }
  EXPECT_EQ(synthetic_rgb({8, 8}, 5), synthetic_rgb({8, 8}, 5));
  auto size = parse_image_size("1280x720");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->width, 1280);
  EXPECT_EQ(size->height, 720);
  for (const char* bad : {"", "512", "x512", "512x", "0x5", "5x-1", "99999x1", "12ax4"}) {
    EXPECT_FALSE(parse_image_size(bad).ok()) << bad;
  }
}

TEST(PromptFitter, GivesTextOfExactlyTheAskedTokenCount) {
  int num_calls = 0;
  PromptFitter fitter(byte_tokenizer(&num_calls), 3);
  for (int64_t num_tokens : {1, 7, 100, 1000}) {
    auto text = fitter.fit(num_tokens);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(static_cast<int64_t>(text->size()), num_tokens);
  }
  EXPECT_LE(num_calls, 8);  // one tokenize per prompt once the words-per-token ratio is learnt
}

TEST(DatasetBuilder, RandomAndRandomMmFollowTheirOptions) {
  int num_calls = 0;
  PromptFitter fitter(byte_tokenizer(&num_calls), 0);
  DatasetOptions options;
  options.kind = DatasetKind::kRandomMm;
  options.num_prompts = 6;
  options.input_len_tokens = 50;
  options.output_len_tokens = 20;
  options.range_ratio = 0.5;
  options.image_sizes = {{32, 32}, {48, 16}};
  options.images_per_request = 2;
  auto requests = build_dataset(options, fitter);
  ASSERT_TRUE(requests.ok()) << requests.status().message();
  ASSERT_EQ(requests->size(), 6u);
  for (const BenchRequest& request : *requests) {
    EXPECT_EQ(request.num_images, 2);
    EXPECT_GE(request.max_tokens, 10);
    EXPECT_LE(request.max_tokens, 30);
    const nlohmann::json& content = request.messages[0]["content"];
    ASSERT_EQ(content.size(), 3u);
    EXPECT_EQ(static_cast<int64_t>(content[0]["text"].get<std::string>().size()), request.text_input_tokens);
    EXPECT_TRUE(content[1]["image_url"]["url"].get<std::string>().starts_with("data:image/jpeg;base64,"));
  }
  // vLLM's bounds: floor(100 * 0.75) and ceil(100 * 1.25), both reached over many draws.
  const std::vector<int64_t> lens = draw_lengths(100, 0.25, 2000, 1, 9);
  EXPECT_EQ(*std::min_element(lens.begin(), lens.end()), 75);
  EXPECT_EQ(*std::max_element(lens.begin(), lens.end()), 125);
}

TEST(JsonlDataset, InlinesLocalImagesAndKeepsUrls) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fovea_bench_jsonl_test";
  std::filesystem::create_directories(dir);
  auto png = encode_synthetic_image({16, 16}, 4, ImageEncoding::kPng);
  ASSERT_TRUE(png.ok());
  std::ofstream(dir / "cat.png", std::ios::binary)
      .write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  std::ofstream(dir / "requests.jsonl")
      << R"({"messages":[{"role":"user","content":[{"type":"text","text":"what?"},)"
      << R"({"type":"image_url","image_url":{"url":"cat.png"}},)"
      << R"({"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}],"max_tokens":9})"
      << "\n\n"
      << R"({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]})"
      << "\n";
  auto requests = load_jsonl_dataset((dir / "requests.jsonl").string(), 33);
  ASSERT_TRUE(requests.ok()) << requests.status().message();
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].num_images, 2);
  EXPECT_EQ((*requests)[0].max_tokens, 9);
  const nlohmann::json& parts = (*requests)[0].messages[0]["content"];
  EXPECT_TRUE(parts[1]["image_url"]["url"].get<std::string>().starts_with("data:image/png;base64,"));
  EXPECT_EQ(parts[2]["image_url"]["url"], "https://example.com/a.jpg");
  EXPECT_EQ((*requests)[1].max_tokens, 33);
  EXPECT_EQ((*requests)[1].num_images, 0);

  for (const char* bad :
       {"[]", "{}", R"({"messages":[]})", R"({"messages":[{"role":"user","content":5}]})",
        R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"missing.png"}}]}]})",
        R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})"}) {
    auto request = parse_jsonl_request(bad, dir.string(), 1);
    EXPECT_FALSE(request.ok()) << bad;
  }
  std::ofstream(dir / "broken.jsonl") << "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\nnot json\n";
  auto broken = load_jsonl_dataset((dir / "broken.jsonl").string(), 1);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("line 2"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SweepSpec, ParsesTheKnownParametersAndNamesTheChoicesOtherwise) {
  auto sizes = parse_sweep_spec("image-size=256x256,1280x720");
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->parameter, SweepParameter::kImageSize);
  EXPECT_EQ(sizes->values, (std::vector<std::string>{"256x256", "1280x720"}));
  EXPECT_TRUE(parse_sweep_spec("images-per-request=1,2,3").ok());
  EXPECT_TRUE(parse_sweep_spec("concurrency=1,4").ok());
  EXPECT_TRUE(parse_sweep_spec("request-rate=0.5,inf").ok());
  EXPECT_TRUE(parse_sweep_spec("modality=text,image").ok());
  auto unknown = parse_sweep_spec("batch=1,2");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("images-per-request"), std::string::npos);
  for (const char* bad : {"concurrency", "concurrency=", "concurrency=0", "concurrency=1,,2", "image-size=big",
                          "modality=audio", "request-rate=-1"}) {
    EXPECT_FALSE(parse_sweep_spec(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace fovea::bench
