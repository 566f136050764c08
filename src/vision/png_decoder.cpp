// PNG decoding with libpng, converted to RGB with PIL's rules (PngImagePlugin modes + convert_to_rgb): 16-bit
// colour keeps the high byte, 16-bit gray is clipped to 255 ("I;16" -> RGB), tRNS keys compare as PIL compares them,
// alpha is composited over white. Gamma/ICC chunks are ignored, as PIL ignores them. Must not contain other formats.
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "vision/image_decoder.h"
#include "vision/pillow_color.h"

namespace fovea::vision {
namespace {

// Everything the setjmp-protected reader touches lives here, owned by a frame that never calls setjmp, so that a
// longjmp out of libpng skips no C++ destructor and leaves no automatic variable indeterminate.
struct PngReadState {
  std::span<const uint8_t> bytes;
  size_t read_offset = 0;
  uint64_t max_pixels = 0;
  png_structp png = nullptr;
  png_infop info = nullptr;
  char error_message[256] = {};
  bool too_large = false;

  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int color_type = 0;
  int num_channels = 0;          // samples per pixel after png_set_packing
  std::vector<uint8_t> samples;  // [height, width, num_channels] u8, or big-endian u16 when bit_depth == 16
  std::vector<png_bytep> rows;   // row pointers into samples (not owning)

  ~PngReadState() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
  }
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngReadState*>(png_get_error_ptr(png));
  std::snprintf(state->error_message, sizeof(state->error_message), "%s", message != nullptr ? message : "");
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void read_from_memory(png_structp png, png_bytep out, png_size_t num_bytes) {
  auto* state = static_cast<PngReadState*>(png_get_io_ptr(png));
  if (num_bytes > state->bytes.size() - state->read_offset) png_error(png, "the data ends early (truncated file)");
  std::memcpy(out, state->bytes.data() + state->read_offset, num_bytes);
  state->read_offset += num_bytes;
}

// Runs libpng up to the decoded samples. Holds no object with a destructor: libpng longjmps back here on errors.
bool read_png_samples(PngReadState* state) {
  if (setjmp(png_jmpbuf(state->png))) return false;
  png_set_read_fn(state->png, state, read_from_memory);
  png_set_benign_errors(state->png, 1);
  // Text chunks stay small; IDAT is bounded by the pixel limit below.
  png_set_chunk_malloc_max(state->png, png_alloc_size_t{8} << 20);
  png_read_info(state->png, state->info);
  int interlace = 0;
  png_get_IHDR(state->png, state->info, &state->width, &state->height, &state->bit_depth, &state->color_type,
               &interlace, nullptr, nullptr);
  if (uint64_t{state->width} * state->height > state->max_pixels) {
    state->too_large = true;
    return false;
  }
  if (state->bit_depth < 8) png_set_packing(state->png);
  png_set_interlace_handling(state->png);
  png_read_update_info(state->png, state->info);
  state->num_channels = png_get_channels(state->png, state->info);
  const size_t row_bytes = png_get_rowbytes(state->png, state->info);
  const size_t expected_row_bytes =
      size_t{state->width} * static_cast<size_t>(state->num_channels) * (state->bit_depth == 16 ? 2 : 1);
  if (row_bytes != expected_row_bytes) png_error(state->png, "unexpected row layout");
  state->samples.resize(row_bytes * state->height);
  state->rows.resize(state->height);
  for (png_uint_32 y = 0; y < state->height; ++y) state->rows[y] = state->samples.data() + row_bytes * y;
  png_read_image(state->png, state->rows.data());
  return true;
}

// PIL's value for a gray sample: "1" is 0/255, "L;2"/"L;4" scale to 8 bits, "I;16" keeps 16 bits.
uint32_t pil_gray_value(uint32_t sample, int bit_depth) {
  switch (bit_depth) {
    case 1:
      return sample != 0 ? 255 : 0;
    case 2:
      return sample * 85;
    case 4:
      return sample * 17;
    default:
      return sample;
  }
}

uint32_t sample_at(const PngReadState& state, size_t index) {
  if (state.bit_depth == 16) return (uint32_t{state.samples[index * 2]} << 8) | state.samples[index * 2 + 1];
  return state.samples[index];
}

// PIL keeps the high byte of 16-bit colour and alpha samples ("RGB;16B", "RGBA;16B", "LA;16B").
uint8_t high_byte(const PngReadState& state, size_t index) {
  return state.bit_depth == 16 ? state.samples[index * 2] : state.samples[index];
}

void convert_to_rgb(const PngReadState& state, RgbImage& image) {
  const size_t num_pixels = size_t{state.width} * state.height;
  png_bytep trns_alpha = nullptr;
  int num_trns = 0;
  png_color_16p trns_color = nullptr;
  const bool has_trns = png_get_tRNS(state.png, state.info, &trns_alpha, &num_trns, &trns_color) != 0;
  uint8_t* out = image.pixels.data();
  switch (state.color_type) {
    case PNG_COLOR_TYPE_GRAY: {
      // PIL stores the tRNS gray raw ("1": 0/255) and compares it with the stored value.
      uint32_t key = has_trns && trns_color != nullptr ? trns_color->gray : 0x10000;
      if (has_trns && state.bit_depth == 1) key = key != 0 ? 255 : 0;
      for (size_t i = 0; i < num_pixels; ++i) {
        const uint32_t value = pil_gray_value(sample_at(state, i), state.bit_depth);
        const auto gray = static_cast<uint8_t>(value == key ? 255 : std::min<uint32_t>(value, 255));
        out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = gray;
      }
      break;
    }
    case PNG_COLOR_TYPE_RGB: {
      // The 8-bit stored colour is compared with the raw (possibly 16-bit) tRNS key, as PIL does.
      const bool keyed = has_trns && trns_color != nullptr;
      for (size_t i = 0; i < num_pixels; ++i) {
        const uint8_t r = high_byte(state, i * 3);
        const uint8_t g = high_byte(state, i * 3 + 1);
        const uint8_t b = high_byte(state, i * 3 + 2);
        const bool transparent = keyed && r == trns_color->red && g == trns_color->green && b == trns_color->blue;
        out[i * 3] = transparent ? 255 : r;
        out[i * 3 + 1] = transparent ? 255 : g;
        out[i * 3 + 2] = transparent ? 255 : b;
      }
      break;
    }
    case PNG_COLOR_TYPE_PALETTE: {
      png_colorp palette = nullptr;
      int num_palette = 0;
      if (png_get_PLTE(state.png, state.info, &palette, &num_palette) == 0) num_palette = 0;
      for (size_t i = 0; i < num_pixels; ++i) {
        const uint32_t index = state.samples[i];
        // PIL's palette is black past its last entry.
        const bool in_palette = index < static_cast<uint32_t>(num_palette);
        const uint8_t alpha = has_trns && index < static_cast<uint32_t>(num_trns) ? trns_alpha[index] : 255;
        const uint8_t r = in_palette ? palette[index].red : 0;
        const uint8_t g = in_palette ? palette[index].green : 0;
        const uint8_t b = in_palette ? palette[index].blue : 0;
        out[i * 3] = composite_over_white(r, alpha);
        out[i * 3 + 1] = composite_over_white(g, alpha);
        out[i * 3 + 2] = composite_over_white(b, alpha);
      }
      break;
    }
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      for (size_t i = 0; i < num_pixels; ++i) {
        const uint8_t gray = composite_over_white(high_byte(state, i * 2), high_byte(state, i * 2 + 1));
        out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = gray;
      }
      break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      for (size_t i = 0; i < num_pixels; ++i) {
        const uint8_t alpha = high_byte(state, i * 4 + 3);
        for (size_t c = 0; c < 3; ++c) out[i * 3 + c] = composite_over_white(high_byte(state, i * 4 + c), alpha);
      }
      break;
    default:
      break;
  }
}

}  // namespace

base::Result<RgbImage> decode_png(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  FOVEA_RETURN_IF_ERROR(check_encoded_size(ImageFormat::kPng, bytes.size(), limits));
  PngReadState state;
  state.bytes = bytes;
  state.max_pixels = limits.max_pixels;
  state.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, on_png_error, on_png_warning);
  if (state.png == nullptr) return base::internal_error("cannot create a libpng reader");
  state.info = png_create_info_struct(state.png);
  if (state.info == nullptr) return base::internal_error("cannot create a libpng info struct");

  if (!read_png_samples(&state)) {
    if (state.too_large) {
      FOVEA_RETURN_IF_ERROR(check_dimensions(ImageFormat::kPng, state.width, state.height, limits));
    }
    return base::data_loss("the PNG data is corrupt or truncated ({}); send a complete, valid PNG file",
                           state.error_message);
  }
  const bool known_layout = (state.color_type == PNG_COLOR_TYPE_GRAY && state.num_channels == 1) ||
                            (state.color_type == PNG_COLOR_TYPE_PALETTE && state.num_channels == 1) ||
                            (state.color_type == PNG_COLOR_TYPE_GRAY_ALPHA && state.num_channels == 2) ||
                            (state.color_type == PNG_COLOR_TYPE_RGB && state.num_channels == 3) ||
                            (state.color_type == PNG_COLOR_TYPE_RGB_ALPHA && state.num_channels == 4);
  if (!known_layout) {
    return base::data_loss("the PNG colour type {} with {} channels is invalid; the file is corrupt", state.color_type,
                           state.num_channels);
  }
  FOVEA_RETURN_IF_ERROR(check_dimensions(ImageFormat::kPng, state.width, state.height, limits));
  RgbImage image;
  image.width = state.width;
  image.height = state.height;
  image.pixels.resize(size_t{state.width} * state.height * 3);
  convert_to_rgb(state, image);
  return image;
}

}  // namespace fovea::vision
