// data: URL parsing for images (RFC 2397 syntax, base64 only), with media-type and size checks.
// Must not contain image decoding.
#include "vision/data_url.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "vision/base64.h"

namespace fovea::vision {
namespace {

constexpr std::array<std::string_view, 5> kImageMediaTypes = {"image/jpeg", "image/jpg", "image/png", "image/webp",
                                                              "image/gif"};
constexpr std::string_view kSupportedList = "image/jpeg, image/png, image/webp, image/gif";

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Shows the start of something the user sent without flooding the error with base64.
std::string excerpt(std::string_view text) {
  constexpr size_t kMaxChars = 40;
  std::string out;
  for (char c : text.substr(0, kMaxChars)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
  }
  if (text.size() > kMaxChars) out += "...";
  return out;
}

}  // namespace

base::Result<ImageDataUrl> parse_image_data_url(std::string_view url, const DataUrlLimits& limits) {
  constexpr std::string_view kScheme = "data:";
  if (url.size() < kScheme.size() || to_lower(url.substr(0, kScheme.size())) != kScheme) {
    return base::invalid_argument("'{}' is not a data: URL; send data:image/png;base64,<data> or an image URL",
                                  excerpt(url));
  }
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) {
    return base::invalid_argument("the data: URL has no ',' before its data; the form is data:image/png;base64,<data>");
  }
  const std::string_view header = url.substr(kScheme.size(), comma - kScheme.size());
  const std::string_view payload = url.substr(comma + 1);

  // <media type>;param=value;...;base64 (RFC 2397); only base64 data is accepted for images.
  const size_t first_semicolon = header.find(';');
  const std::string media_type = to_lower(header.substr(0, first_semicolon));
  const size_t last_semicolon = header.rfind(';');
  const bool is_base64 =
      last_semicolon != std::string_view::npos && to_lower(header.substr(last_semicolon + 1)) == "base64";
  if (media_type.empty()) {
    return base::invalid_argument(
        "the data: URL has no media type; send data:image/png;base64,<data> (or image/jpeg, "
        "image/webp, image/gif)");
  }
  if (std::find(kImageMediaTypes.begin(), kImageMediaTypes.end(), media_type) == kImageMediaTypes.end()) {
    if (media_type.starts_with("image/")) {
      return base::unsupported("the data: URL has media type '{}', which fovea does not decode; send one of {}",
                               excerpt(media_type), kSupportedList);
    }
    return base::invalid_argument("the data: URL has media type '{}', not an image; send one of {}",
                                  excerpt(media_type), kSupportedList);
  }
  if (!is_base64) {
    return base::invalid_argument("the data: URL for {} is not base64-encoded; send data:{};base64,<data>", media_type,
                                  media_type);
  }
  if (payload.empty()) return base::invalid_argument("the data: URL for {} has no data after the ','", media_type);
  auto bytes = decode_base64_strict(payload, limits.max_decoded_bytes);
  if (!bytes.ok()) return bytes.status().with_context("in the data: URL");
  return ImageDataUrl{media_type, std::move(bytes).value()};
}

}  // namespace fovea::vision
