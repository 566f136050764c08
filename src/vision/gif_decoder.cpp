// GIF decoding of the first frame with giflib, composed the way PIL's GifImagePlugin composes frame 0: the canvas
// is the logical screen (grown to hold the frame), filled with the transparent index (or index 0), the frame
// pasted at its offset; palette lookup (black past the palette's end; gray = index when there is no palette or it
// is the identity gray ramp); the transparent index composited over white. Must not contain other formats.
#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "vision/image_decoder.h"

namespace fovea::vision {
namespace {

struct MemoryReader {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
};

int read_from_memory(GifFileType* gif, GifByteType* out, int num_bytes) {
  auto* reader = static_cast<MemoryReader*>(gif->UserData);
  const size_t available = reader->bytes.size() - reader->offset;
  const size_t count = std::min(available, static_cast<size_t>(std::max(num_bytes, 0)));
  std::memcpy(out, reader->bytes.data() + reader->offset, count);
  reader->offset += count;
  return static_cast<int>(count);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

base::Status gif_error(const char* what, int error_code) {
  const char* text = GifErrorString(error_code);
  return base::data_loss("the GIF data is corrupt or truncated ({}: {}); send a complete, valid GIF file", what,
                         text != nullptr ? text : "unknown error");
}

// PIL treats a palette whose entry i is (i, i, i) for every i as no palette at all (mode "L").
bool is_identity_gray(const ColorMapObject* map) {
  for (int i = 0; i < map->ColorCount; ++i) {
    const GifColorType& c = map->Colors[i];
    if (c.Red != i || c.Green != i || c.Blue != i) return false;
  }
  return true;
}

// Rows of an interlaced frame arrive in four passes: every 8th row from 0, every 8th from 4, every 4th from 2,
// every 2nd from 1.
std::vector<int> row_order(int height, bool interlaced) {
  std::vector<int> order;
  order.reserve(static_cast<size_t>(height));
  if (!interlaced) {
    for (int y = 0; y < height; ++y) order.push_back(y);
    return order;
  }
  constexpr std::array<std::array<int, 2>, 4> kPasses = {{{0, 8}, {4, 8}, {2, 4}, {1, 2}}};
  for (const auto& [start, step] : kPasses) {
    for (int y = start; y < height; y += step) order.push_back(y);
  }
  return order;
}

}  // namespace

base::Result<RgbImage> decode_gif(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  FOVEA_RETURN_IF_ERROR(check_encoded_size(ImageFormat::kGif, bytes.size(), limits));
  MemoryReader reader{bytes, 0};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_from_memory, &error));
  if (!gif) return gif_error("header", error);

  std::optional<int> transparent_index;
  GifRecordType record = UNDEFINED_RECORD_TYPE;
  while (true) {
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) return gif_error("record", gif->Error);
    if (record == TERMINATE_RECORD_TYPE) {
      return base::data_loss("the GIF file has no image frame; send a GIF with at least one frame");
    }
    if (record == IMAGE_DESC_RECORD_TYPE) break;
    if (record != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) return gif_error("extension", gif->Error);
    // Graphic control extension: the last one before the frame decides its transparent index, as in PIL.
    if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
      transparent_index = (block[1] & 1) != 0 ? std::optional<int>(block[4]) : std::nullopt;
    }
    while (block != nullptr) {
      if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return gif_error("extension", gif->Error);
    }
  }
  if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return gif_error("frame descriptor", gif->Error);
  const GifImageDesc& frame = gif->Image;
  if (frame.Width <= 0 || frame.Height <= 0) {
    return base::data_loss("the first GIF frame has an empty size {}x{}; the file is corrupt", frame.Width,
                           frame.Height);
  }
  const int64_t width = std::max<int64_t>(gif->SWidth, int64_t{frame.Left} + frame.Width);
  const int64_t height = std::max<int64_t>(gif->SHeight, int64_t{frame.Top} + frame.Height);
  FOVEA_RETURN_IF_ERROR(check_dimensions(ImageFormat::kGif, width, height, limits));

  const ColorMapObject* palette = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
  if (palette != nullptr && is_identity_gray(palette)) palette = nullptr;

  std::vector<uint8_t> indices(static_cast<size_t>(width * height),
                               static_cast<uint8_t>(transparent_index.value_or(0)));
  for (int row : row_order(frame.Height, frame.Interlace)) {
    uint8_t* line = &indices[static_cast<size_t>((frame.Top + row) * width + frame.Left)];
    if (DGifGetLine(gif.get(), line, frame.Width) == GIF_ERROR) return gif_error("pixel data", gif->Error);
  }

  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(indices.size() * 3);
  for (size_t i = 0; i < indices.size(); ++i) {
    const int index = indices[i];
    uint8_t* out = &image.pixels[i * 3];
    if (transparent_index && index == *transparent_index) {
      out[0] = out[1] = out[2] = 255;
    } else if (palette == nullptr) {
      out[0] = out[1] = out[2] = static_cast<uint8_t>(index);
    } else if (index < palette->ColorCount) {
      out[0] = palette->Colors[index].Red;
      out[1] = palette->Colors[index].Green;
      out[2] = palette->Colors[index].Blue;
    } else {
      out[0] = out[1] = out[2] = 0;
    }
  }
  return image;
}

}  // namespace fovea::vision
