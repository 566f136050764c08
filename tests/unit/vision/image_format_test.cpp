// Format detection from magic bytes, and the errors for unknown and unsupported data.
#include "vision/image_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_files.h"

namespace fovea::vision {
namespace {

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

TEST(ImageFormatTest, DetectsSupportedFormatsFromTheirBytes) {
  using testing_files::read_image;
  EXPECT_EQ(*detect_image_format(read_image("jpeg_gray.jpg")), ImageFormat::kJpeg);
  EXPECT_EQ(*detect_image_format(read_image("png_gray.png")), ImageFormat::kPng);
  EXPECT_EQ(*detect_image_format(read_image("webp_lossless.webp")), ImageFormat::kWebp);
  EXPECT_EQ(*detect_image_format(read_image("gif_palette.gif")), ImageFormat::kGif);
  EXPECT_EQ(*detect_image_format(bytes_of("GIF87a........")), ImageFormat::kGif);
}

TEST(ImageFormatTest, UnknownDataListsTheSupportedFormats) {
  auto result = detect_image_format(bytes_of("hello, this is text"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("JPEG, PNG, WebP, GIF"), std::string::npos);
}

TEST(ImageFormatTest, EmptyDataIsAnError) {
  auto result = detect_image_format({});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("empty"), std::string::npos);
}

TEST(ImageFormatTest, UnsupportedFormatsAreNamed) {
  struct Case {
    std::string bytes;
    std::string name;
  };
  const std::vector<Case> cases = {
      {"BM\x36\x00\x00\x00", "BMP"},
      {std::string("II*\0", 4) + "xxxx", "TIFF"},
      {std::string("\0\0\0\x1c", 4) + "ftypheic", "HEIF"},
      {std::string("\0\0\0\x1c", 4) + "ftypavif", "AVIF"},
      {"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"},
      {std::string("RIFF\x10\0\0\0WAVEfmt ", 16), "RIFF"},
  };
  for (const auto& c : cases) {
    auto result = detect_image_format(bytes_of(c.bytes));
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), base::StatusCode::kUnsupported) << c.name;
    EXPECT_NE(result.status().message().find(c.name), std::string::npos) << result.status().message();
    EXPECT_NE(result.status().message().find("JPEG, PNG, WebP, GIF"), std::string::npos);
  }
}

TEST(ImageFormatTest, TruncatedMagicIsNotAFormat) {
  EXPECT_FALSE(detect_image_format(bytes_of("\x89PN")).ok());
  EXPECT_FALSE(detect_image_format(bytes_of(std::string_view("RIFF\0\0\0\0WEB", 11))).ok());
  EXPECT_FALSE(detect_image_format(bytes_of("\xff\xd8")).ok());
}

}  // namespace
}  // namespace fovea::vision
