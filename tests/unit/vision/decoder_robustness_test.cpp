// Decoders on hostile input: decompression bombs refused from the header, truncated and corrupted files turned
// into errors (never crashes; the sanitizer build runs these too), and the byte-size limit.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "test_files.h"
#include "vision/image_decoder.h"

namespace fovea::vision {
namespace {

using testing_files::read_image;

const std::vector<std::string> kFixtures = {
    "jpeg_q75_420_shapes.jpg", "jpeg_q85_progressive.jpg", "jpeg_cmyk.jpg",         "jpeg_gray.jpg",
    "png_rgb_300x200.png",     "png_adam7_rgb.png",        "png_palette_4bit.png",  "png_rgba16.png",
    "webp_lossy.webp",         "webp_lossless_alpha.webp", "webp_lossy_alpha.webp", "gif_interlaced.gif",
    "gif_offset_frame.gif",    "gif_transparent.gif",
};

void expect_message_has(const base::Status& status, std::string_view text) {
  EXPECT_NE(status.message().find(text), std::string::npos) << status.message();
}

void put_u16_be(std::vector<uint8_t>& bytes, size_t offset, uint16_t value) {
  bytes[offset] = static_cast<uint8_t>(value >> 8);
  bytes[offset + 1] = static_cast<uint8_t>(value);
}

TEST(DecoderRobustnessTest, PixelLimitIsCheckedForEveryFormat) {
  DecodeLimits limits;
  limits.max_pixels = 1000;
  for (const auto& name : kFixtures) {
    auto result = decode_image(read_image(name), limits);
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.status().code(), base::StatusCode::kOutOfRange) << name;
    expect_message_has(result.status(), "more than the limit of 1000 pixels");
    expect_message_has(result.status(), "downscale");
  }
}

TEST(DecoderRobustnessTest, ByteLimitIsChecked) {
  DecodeLimits limits;
  limits.max_encoded_bytes = 100;
  auto result = decode_image(read_image("png_rgb_300x200.png"), limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kOutOfRange);
  expect_message_has(result.status(), "more than the limit of 100 bytes");
}

// Headers that promise 4-billion-pixel pictures: refused from the header with the default limits (allocating
// first would need tens of gigabytes and fail or take the process down).
TEST(DecoderRobustnessTest, BombHeadersAreRefusedBeforeDecoding) {
  {
    std::vector<uint8_t> jpeg = read_image("jpeg_gray.jpg");
    for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
      if (jpeg[i] == 0xff && (jpeg[i + 1] == 0xc0 || jpeg[i + 1] == 0xc2)) {
        put_u16_be(jpeg, i + 5, 65000);  // height
        put_u16_be(jpeg, i + 7, 65000);  // width
        break;
      }
    }
    auto result = decode_image(jpeg);
    ASSERT_FALSE(result.ok());
    expect_message_has(result.status(), "65000x65000");
  }
  {
    std::vector<uint8_t> png = read_image("png_gray.png");
    // IHDR data starts after the 8-byte signature, 4-byte length and 4-byte type; the CRC no longer matches, so
    // libpng rejects the chunk either way, but never allocates for it.
    for (size_t i = 16; i < 24; ++i) png[i] = (i % 4 == 1) ? 0x7f : 0x00;
    EXPECT_FALSE(decode_image(png).ok());
  }
  {
    std::vector<uint8_t> gif = read_image("gif_palette.gif");
    gif[6] = gif[7] = gif[8] = gif[9] = 0xff;  // logical screen 65535 x 65535
    auto result = decode_image(gif);
    ASSERT_FALSE(result.ok());
    expect_message_has(result.status(), "65535x65535");
  }
  {
    // A lossless WebP header declaring 16384 x 16384 (VP8L: 14-bit width-1 and height-1).
    std::vector<uint8_t> webp = {'R',  'I', 'F', 'F', 26, 0, 0, 0, 'W',  'E',  'B',  'P',
                                 'V',  'P', '8', 'L', 14, 0, 0, 0, 0x2f, 0xff, 0xff, 0xff,
                                 0x0f, 0,   0,   0,   0,  0, 0, 0, 0,    0};
    auto result = decode_image(webp);
    ASSERT_FALSE(result.ok());
    expect_message_has(result.status(), "16384x16384");
  }
}

// A valid CRC for a bomb PNG: the limit, not libpng, refuses it.
TEST(DecoderRobustnessTest, PngBombWithValidCrcIsRefusedByTheLimit) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G',  '\r', '\n', 0x1a, '\n', 0,    0, 0, 13, 'I', 'H', 'D',
                              'R',  0,   0,   0xc3, 0x50, 0,    0,    0xc3, 0x50, 8, 2, 0,  0,   0};
  // CRC-32 of "IHDR" + data, computed here so the test does not depend on zlib.
  uint32_t crc = 0xffffffffu;
  for (size_t i = 12; i < png.size(); ++i) {
    crc ^= png[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  for (int k = 3; k >= 0; --k) png.push_back(static_cast<uint8_t>(crc >> (8 * k)));
  const std::vector<uint8_t> idat = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
  png.insert(png.end(), idat.begin(), idat.end());
  auto result = decode_image(png);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::StatusCode::kOutOfRange) << result.status().message();
  expect_message_has(result.status(), "50000x50000");
}

TEST(DecoderRobustnessTest, TruncatedFilesAreErrors) {
  for (const auto& name : kFixtures) {
    const std::vector<uint8_t> full = read_image(name);
    ASSERT_TRUE(decode_image(full).ok()) << name;
    for (double fraction : {0.02, 0.1, 0.3, 0.5, 0.75, 0.9}) {
      const auto size = static_cast<size_t>(static_cast<double>(full.size()) * fraction);
      std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
      auto result = decode_image(cut);
      EXPECT_FALSE(result.ok()) << name << " cut to " << size << " of " << full.size() << " bytes";
      if (!result.ok()) {
        EXPECT_NE(result.status().code(), base::StatusCode::kInternal) << result.status().message();
        EXPECT_FALSE(result.status().message().empty());
      }
    }
  }
}

// Random byte damage: the decoders may accept or refuse, but must return (the ASan/UBSan build checks memory).
TEST(DecoderRobustnessTest, CorruptedFilesNeverCrash) {
  std::mt19937 rng(1234);
  int num_errors = 0;
  for (const auto& name : kFixtures) {
    const std::vector<uint8_t> full = read_image(name);
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<uint8_t> damaged = full;
      const int num_flips = 1 + trial % 8;
      for (int k = 0; k < num_flips; ++k) {
        std::uniform_int_distribution<size_t> position(0, damaged.size() - 1);
        damaged[position(rng)] ^= static_cast<uint8_t>(1 + rng() % 255);
      }
      auto result = decode_image(damaged);
      if (!result.ok()) {
        ++num_errors;
        EXPECT_NE(result.status().code(), base::StatusCode::kInternal) << result.status().message();
      } else {
        EXPECT_EQ(result->pixels.size(), static_cast<size_t>(result->width * result->height * 3));
      }
    }
  }
  EXPECT_GT(num_errors, 0);
}

TEST(DecoderRobustnessTest, AnimatedWebpIsRefusedClearly) {
  // VP8X with the animation flag (bit 1) set and a 2x2 canvas; no frames needed to see the refusal.
  std::vector<uint8_t> webp = {'R', 'I', 'F', 'F', 22, 0,    0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8',
                               'X', 10,  0,   0,   0,  0x02, 0, 0, 0,   1,   0,   0,   1,   0,   0};
  auto result = decode_image(webp);
  ASSERT_FALSE(result.ok());
  if (result.status().code() == base::StatusCode::kUnsupported) expect_message_has(result.status(), "animated");
}

}  // namespace
}  // namespace fovea::vision
