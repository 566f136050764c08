// Image container formats fovea decodes, recognised by their magic bytes (never by file names or media types).
// Must not contain decoding.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"

namespace fovea::vision {

enum class ImageFormat { kJpeg, kPng, kWebp, kGif };

// "JPEG", "PNG", "WebP", "GIF".
std::string_view image_format_name(ImageFormat format);

// The list named in errors: "JPEG, PNG, WebP, GIF".
std::string_view supported_image_formats();

// Detects the format from the first bytes. Unknown or unsupported data (BMP, TIFF, HEIC, SVG, ...) is an error that
// names what was recognised, if anything, and lists the supported formats.
base::Result<ImageFormat> detect_image_format(std::span<const uint8_t> bytes);

}  // namespace fovea::vision
