// Magic-byte detection of image formats; recognises a few common unsupported formats to name them in the error.
// Must not contain decoding.
#include "vision/image_format.h"

#include <algorithm>

namespace fovea::vision {
namespace {

bool starts_with(std::span<const uint8_t> bytes, std::string_view prefix, size_t offset = 0) {
  if (bytes.size() < offset + prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

// Formats PIL would open but fovea does not: named so that the user knows what they sent.
std::string_view unsupported_format_name(std::span<const uint8_t> bytes) {
  if (starts_with(bytes, "BM")) return "BMP";
  if (starts_with(bytes, std::string_view("II*\0", 4)) || starts_with(bytes, std::string_view("MM\0*", 4))) {
    return "TIFF";
  }
  if (starts_with(bytes, "ftyp", 4)) {
    if (starts_with(bytes, "avif", 8) || starts_with(bytes, "avis", 8)) return "AVIF";
    if (starts_with(bytes, "heic", 8) || starts_with(bytes, "heix", 8) || starts_with(bytes, "mif1", 8)) {
      return "HEIF/HEIC";
    }
    return "an ISO media file (video or HEIF)";
  }
  if (starts_with(bytes, std::string_view("\0\0\1\0", 4))) return "ICO";
  if (starts_with(bytes, std::string_view("\xff\x4f\xff\x51", 4)) ||
      starts_with(bytes, std::string_view("\0\0\0\x0cjP  ", 8))) {
    return "JPEG 2000";
  }
  if (starts_with(bytes, "<svg") || starts_with(bytes, "<?xml")) return "SVG/XML";
  if (starts_with(bytes, "RIFF")) return "a RIFF file that is not WebP";
  return {};
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kGif:
      return "GIF";
  }
  return "unknown";
}

std::string_view supported_image_formats() { return "JPEG, PNG, WebP, GIF"; }

base::Result<ImageFormat> detect_image_format(std::span<const uint8_t> bytes) {
  if (starts_with(bytes, "\xff\xd8\xff")) return ImageFormat::kJpeg;
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return ImageFormat::kGif;
  if (starts_with(bytes, "RIFF") && starts_with(bytes, "WEBP", 8)) return ImageFormat::kWebp;
  if (bytes.empty()) {
    return base::invalid_argument("the image is empty (0 bytes); send a {} file", supported_image_formats());
  }
  std::string_view known = unsupported_format_name(bytes);
  if (!known.empty()) {
    return base::unsupported("the image is {}, which fovea does not decode; convert it to one of {}", known,
                             supported_image_formats());
  }
  return base::invalid_argument(
      "the image data is not a recognised image format (its first bytes match none of {}); send one of these "
      "formats",
      supported_image_formats());
}

}  // namespace fovea::vision
