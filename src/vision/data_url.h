// Parsing of image data: URLs ("data:image/png;base64,....") as OpenAI-style requests send them.
// Must not contain image decoding (the caller decodes the returned bytes, detecting the format from them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::vision {

struct DataUrlLimits {
  uint64_t max_decoded_bytes = uint64_t{64} << 20;  // the encoded image file, after base64
};

struct ImageDataUrl {
  std::string media_type;      // lower case, e.g. "image/png"
  std::vector<uint8_t> bytes;  // the image file
};

// Accepts data:<media type>[;param=value...];base64,<strict base64> with an image media type fovea decodes
// (image/jpeg, image/jpg, image/png, image/webp, image/gif). The media type is not trusted for the format: the
// decoder looks at the bytes. Errors say which part is wrong and what to send instead.
base::Result<ImageDataUrl> parse_image_data_url(std::string_view url, const DataUrlLimits& limits = {});

}  // namespace fovea::vision
