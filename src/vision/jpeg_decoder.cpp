// JPEG decoding through libjpeg-turbo's TurboJPEG API with the settings PIL uses (accurate integer IDCT, fancy
// chroma upsampling); CMYK/YCCK pictures are converted the way PIL does. Must not contain other formats.
#include <turbojpeg.h>

#include <memory>
#include <string_view>
#include <vector>

#include "vision/image_decoder.h"
#include "vision/pillow_color.h"

namespace fovea::vision {
namespace {

struct TjHandleDeleter {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjHandleDeleter>;

std::string_view error_text(const TjHandle& handle) {
  const char* text = tjGetErrorStr2(handle.get());
  return text != nullptr ? std::string_view(text) : std::string_view("unknown error");
}

bool mentions_truncation(std::string_view message) {
  // libjpeg's warnings for data that ends early: "Premature end of JPEG file" and "Corrupt JPEG data: premature
  // end of data segment". PIL refuses truncated files, so these are errors here; other warnings (extraneous bytes
  // before a marker, ...) are tolerated as PIL tolerates them.
  return message.find("remature end") != std::string_view::npos;
}

}  // namespace

base::Result<RgbImage> decode_jpeg(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  FOVEA_RETURN_IF_ERROR(check_encoded_size(ImageFormat::kJpeg, bytes.size(), limits));
  TjHandle handle(tjInitDecompress());
  if (!handle) return base::internal_error("cannot create a TurboJPEG decompressor: {}", tjGetErrorStr2(nullptr));
  const auto* data = bytes.data();
  const auto size = static_cast<unsigned long>(bytes.size());

  int width = 0;
  int height = 0;
  int subsampling = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height, &subsampling, &colorspace) != 0) {
    return base::data_loss(
        "the JPEG header cannot be read ({}); the file is corrupt, truncated or an unsupported "
        "JPEG variant",
        error_text(handle));
  }
  FOVEA_RETURN_IF_ERROR(check_dimensions(ImageFormat::kJpeg, width, height, limits));

  // TJFLAG_ACCURATEDCT: the islow IDCT, libjpeg's default and PIL's. TJFLAG_LIMITSCANS: refuse progressive files
  // with absurd scan counts (a CPU bomb). Fancy upsampling stays on (no TJFLAG_FASTUPSAMPLE), as in PIL.
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS;
  const bool is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const auto num_pixels = static_cast<size_t>(width) * static_cast<size_t>(height);

  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(num_pixels * 3);
  std::vector<uint8_t> cmyk;
  uint8_t* destination = image.pixels.data();
  int pixel_format = TJPF_RGB;
  if (is_cmyk) {
    cmyk.resize(num_pixels * 4);
    destination = cmyk.data();
    pixel_format = TJPF_CMYK;
  }
  if (tjDecompress2(handle.get(), data, size, destination, width, 0, height, pixel_format, flags) != 0) {
    std::string_view message = error_text(handle);
    if (tjGetErrorCode(handle.get()) != TJERR_WARNING) {
      return base::data_loss("the JPEG data is corrupt ({}); re-encode the image", message);
    }
    if (mentions_truncation(message)) {
      return base::data_loss("the JPEG data is truncated or corrupt ({}); send the complete file", message);
    }
  }
  if (is_cmyk) {
    // PIL reads CMYK JPEGs as Adobe-inverted ("CMYK;I"), then converts with its own rounding.
    for (size_t i = 0; i < num_pixels; ++i) {
      const uint8_t* in = &cmyk[i * 4];
      uint8_t* out = &image.pixels[i * 3];
      const auto black = static_cast<uint8_t>(255 - in[3]);
      for (int c = 0; c < 3; ++c) out[c] = cmyk_channel_to_rgb(static_cast<uint8_t>(255 - in[c]), black);
    }
  }
  return image;
}

}  // namespace fovea::vision
