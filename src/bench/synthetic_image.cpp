// Seeded synthetic pictures and their JPEG (turbojpeg) / PNG (libpng's simplified API) encoding.
// Must not contain dataset or request logic.
#include "bench/synthetic_image.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "bench/data_url_encoder.h"

namespace fovea::bench {
namespace {

constexpr int32_t kMaxSide = 16384;
constexpr int kJpegQuality = 90;

base::Result<int32_t> parse_side(std::string_view text, std::string_view whole) {
  int32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxSide) {
    return base::invalid_argument("image size '{}' is not WIDTHxHEIGHT with sides 1..{} (e.g. 512x512, 1280x720)",
                                  whole, kMaxSide);
  }
  return value;
}

base::Result<std::vector<uint8_t>> encode_jpeg(const std::vector<uint8_t>& rgb, ImageSize size) {
  tjhandle handle = tjInitCompress();
  if (handle == nullptr) return base::internal_error("turbojpeg could not start a compressor");
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;  // NOLINT(google-runtime-int): turbojpeg's type
  const int rc = tjCompress2(handle, rgb.data(), size.width, size.width * 3, size.height, TJPF_RGB, &jpeg, &jpeg_size,
                             TJSAMP_420, kJpegQuality, TJFLAG_FASTDCT);
  std::vector<uint8_t> out;
  if (rc == 0) out.assign(jpeg, jpeg + jpeg_size);
  const std::string message = rc == 0 ? "" : tjGetErrorStr2(handle);
  tjFree(jpeg);
  tjDestroy(handle);
  if (rc != 0)
    return base::internal_error("turbojpeg could not encode a {}x{} image: {}", size.width, size.height, message);
  return out;
}

base::Result<std::vector<uint8_t>> encode_png(const std::vector<uint8_t>& rgb, ImageSize size) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(size.width);
  image.height = static_cast<png_uint_32>(size.height);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t num_bytes = 0;
  if (!png_image_write_to_memory(&image, nullptr, &num_bytes, 0, rgb.data(), 0, nullptr)) {
    return base::internal_error("libpng could not size a {}x{} image: {}", size.width, size.height, image.message);
  }
  std::vector<uint8_t> out(num_bytes);
  if (!png_image_write_to_memory(&image, out.data(), &num_bytes, 0, rgb.data(), 0, nullptr)) {
    return base::internal_error("libpng could not encode a {}x{} image: {}", size.width, size.height, image.message);
  }
  out.resize(num_bytes);
  return out;
}

}  // namespace

base::Result<ImageSize> parse_image_size(std::string_view text) {
  const size_t x = text.find_first_of("xX");
  if (x == std::string_view::npos) {
    return base::invalid_argument("image size '{}' is not WIDTHxHEIGHT (e.g. 512x512, 1280x720)", text);
  }
  ImageSize size;
  FOVEA_ASSIGN_OR_RETURN(size.width, parse_side(text.substr(0, x), text));
  FOVEA_ASSIGN_OR_RETURN(size.height, parse_side(text.substr(x + 1), text));
  return size;
}

base::Result<ImageEncoding> parse_image_encoding(std::string_view text) {
  if (text == "jpeg" || text == "jpg") return ImageEncoding::kJpeg;
  if (text == "png") return ImageEncoding::kPng;
  return base::invalid_argument("image format '{}' is not one of: jpeg, png", text);
}

std::vector<uint8_t> synthetic_rgb(ImageSize size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> channel(0, 255);
  const int corner[2][3] = {{channel(rng), channel(rng), channel(rng)}, {channel(rng), channel(rng), channel(rng)}};
  const auto width = static_cast<size_t>(size.width);
  const auto height = static_cast<size_t>(size.height);
  std::vector<uint8_t> rgb(width * height * 3);
  for (size_t y = 0; y < height; ++y) {
    for (size_t x = 0; x < width; ++x) {
      const double t =
          (static_cast<double>(x) / static_cast<double>(width) + static_cast<double>(y) / static_cast<double>(height)) /
          2.0;
      for (size_t c = 0; c < 3; ++c) {
        rgb[(y * width + x) * 3 + c] = static_cast<uint8_t>(corner[0][c] + t * (corner[1][c] - corner[0][c]));
      }
    }
  }
  // A few solid rectangles give edges (what a ViT sees in real pictures) and make every seed different.
  std::uniform_int_distribution<size_t> pick_x(0, width - 1);
  std::uniform_int_distribution<size_t> pick_y(0, height - 1);
  for (int rect_idx = 0; rect_idx < 6; ++rect_idx) {
    const size_t x0 = pick_x(rng), x1 = pick_x(rng), y0 = pick_y(rng), y1 = pick_y(rng);
    const uint8_t color[3] = {static_cast<uint8_t>(channel(rng)), static_cast<uint8_t>(channel(rng)),
                              static_cast<uint8_t>(channel(rng))};
    for (size_t y = std::min(y0, y1); y <= std::max(y0, y1); ++y) {
      for (size_t x = std::min(x0, x1); x <= std::max(x0, x1); ++x) {
        std::copy(color, color + 3, rgb.begin() + static_cast<std::ptrdiff_t>((y * width + x) * 3));
      }
    }
  }
  // Light noise keeps the encoded size near a photograph's rather than a flat drawing's.
  std::uniform_int_distribution<int> noise(-6, 6);
  for (uint8_t& value : rgb) value = static_cast<uint8_t>(std::clamp(value + noise(rng), 0, 255));
  return rgb;
}

base::Result<std::vector<uint8_t>> encode_synthetic_image(ImageSize size, uint64_t seed, ImageEncoding encoding) {
  const std::vector<uint8_t> rgb = synthetic_rgb(size, seed);
  return encoding == ImageEncoding::kJpeg ? encode_jpeg(rgb, size) : encode_png(rgb, size);
}

base::Result<std::string> synthetic_image_data_url(ImageSize size, uint64_t seed, ImageEncoding encoding) {
  FOVEA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, encode_synthetic_image(size, seed, encoding));
  return to_data_url(bytes, encoding == ImageEncoding::kJpeg ? "image/jpeg" : "image/png");
}

}  // namespace fovea::bench
