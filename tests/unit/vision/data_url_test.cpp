// data: URL parsing and strict base64 decoding.
#include "vision/data_url.h"

#include <gtest/gtest.h>

#include <string>

#include "vision/base64.h"

namespace fovea::vision {
namespace {

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

TEST(Base64Test, DecodesRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"},
      {"+/+/", "\xfb\xff\xbf"},
  };
  for (const auto& [encoded, decoded] : vectors) {
    auto result = decode_base64_strict(encoded, 100);
    ASSERT_TRUE(result.ok()) << encoded << ": " << result.status().message();
    EXPECT_EQ(as_string(*result), decoded) << encoded;
  }
}

TEST(Base64Test, RefusesAnythingNotStrict) {
  for (std::string_view bad : {"Zg", "Zg=", "Zm9vY", "Zg==Zg==", "Z===", "====", "Zm9v\nYmFy", "Zm9v YmFy", "Zm9-",
                               "Zm9_", "Zm9%2B", "Zg=A"}) {
    auto result = decode_base64_strict(bad, 100);
    EXPECT_FALSE(result.ok()) << bad;
  }
  auto line_break = decode_base64_strict("Zm9v\nYmFy", 100);
  ASSERT_FALSE(line_break.ok());
  EXPECT_NE(line_break.status().message().find("line break at offset 4"), std::string::npos)
      << line_break.status().message();
}

TEST(Base64Test, SizeLimitIsCheckedBeforeDecoding) {
  auto result = decode_base64_strict("Zm9vYmFy", 5);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kOutOfRange);
  EXPECT_NE(result.status().message().find("6 bytes"), std::string::npos) << result.status().message();
  EXPECT_TRUE(decode_base64_strict("Zm9vYmFy", 6).ok());
}

TEST(DataUrlTest, ParsesImageDataUrls) {
  auto png = parse_image_data_url("data:image/png;base64,iVBORw0KGgo=");
  ASSERT_TRUE(png.ok()) << png.status().message();
  EXPECT_EQ(png->media_type, "image/png");
  EXPECT_EQ(as_string(png->bytes), "\x89PNG\r\n\x1a\n");

  auto upper = parse_image_data_url("DATA:Image/JPEG;BASE64,/9j/");
  ASSERT_TRUE(upper.ok()) << upper.status().message();
  EXPECT_EQ(upper->media_type, "image/jpeg");
  EXPECT_EQ(as_string(upper->bytes), "\xff\xd8\xff");

  auto with_params = parse_image_data_url("data:image/webp;name=cat.webp;charset=binary;base64,UklGRg==");
  ASSERT_TRUE(with_params.ok()) << with_params.status().message();
  EXPECT_EQ(with_params->media_type, "image/webp");
  EXPECT_TRUE(parse_image_data_url("data:image/jpg;base64,/9j/").ok());
  EXPECT_TRUE(parse_image_data_url("data:image/gif;base64,R0lGODlh").ok());
}

TEST(DataUrlTest, ErrorsSayWhatIsWrong) {
  struct Case {
    std::string url;
    std::string message_part;
    base::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"https://example.com/cat.png", "not a data: URL", base::StatusCode::kInvalidArgument},
      {"data:image/png;base64", "no ','", base::StatusCode::kInvalidArgument},
      {"data:;base64,Zm9v", "no media type", base::StatusCode::kInvalidArgument},
      {"data:,Zm9v", "no media type", base::StatusCode::kInvalidArgument},
      {"data:text/plain;base64,Zm9v", "not an image", base::StatusCode::kInvalidArgument},
      {"data:image/svg+xml;base64,Zm9v", "does not decode", base::StatusCode::kUnsupported},
      {"data:image/tiff;base64,Zm9v", "image/jpeg, image/png, image/webp, image/gif", base::StatusCode::kUnsupported},
      {"data:image/png,%89PNG", "not base64-encoded", base::StatusCode::kInvalidArgument},
      {"data:image/png;base64,", "no data", base::StatusCode::kInvalidArgument},
      {"data:image/png;base64,iVBO Rw0K", "whitespace at offset 4", base::StatusCode::kInvalidArgument},
      {"data:image/png;base64,iVBORw0KGgo", "multiple of 4", base::StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto result = parse_image_data_url(c.url);
    ASSERT_FALSE(result.ok()) << c.url;
    EXPECT_EQ(result.status().code(), c.code) << c.url << ": " << result.status().message();
    EXPECT_NE(result.status().message().find(c.message_part), std::string::npos)
        << c.url << ": " << result.status().message();
  }
}

TEST(DataUrlTest, DecodedSizeLimit) {
  DataUrlLimits limits;
  limits.max_decoded_bytes = 4;
  auto result = parse_image_data_url("data:image/png;base64,iVBORw0KGgo=", limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kOutOfRange);
  EXPECT_NE(result.status().message().find("limit of 4 bytes"), std::string::npos) << result.status().message();
}

TEST(DataUrlTest, LongInputIsExcerptedInErrors) {
  const std::string url = "http://" + std::string(10000, 'a');
  auto result = parse_image_data_url(url);
  ASSERT_FALSE(result.ok());
  EXPECT_LT(result.status().message().size(), 200u);
}

}  // namespace
}  // namespace fovea::vision
