// smart_resize in the same double-precision operations, in the same order, as the Python reference, so that
// rounding ties and floor/ceil edges land identically. Must not contain pixel work.
#include "vision/smart_resize.h"

#include <algorithm>
#include <cmath>

namespace fovea::vision {
namespace {

// Python's round() on a float: nearest integer, ties to even.
double round_half_even(double x) {
  const double lower = std::floor(x);
  const double fraction = x - lower;  // exact for |x| < 2^52
  if (fraction > 0.5) return lower + 1.0;
  if (fraction < 0.5) return lower;
  return std::fmod(lower, 2.0) == 0.0 ? lower : lower + 1.0;
}

// Integers above 2^53 would not convert to double exactly; real images are far below that.
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;
// patch_size * merge_size is 28 or 32 in practice; the bound keeps every product below in int64.
constexpr int64_t kMaxFactor = int64_t{1} << 16;

}  // namespace

base::Result<ResizedSize> smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels,
                                       int64_t max_pixels) {
  if (height <= 0 || width <= 0) {
    return base::invalid_argument("the image is {}x{} pixels; both sides must be at least 1 pixel", width, height);
  }
  if (factor <= 0 || factor > kMaxFactor || min_pixels <= 0 || max_pixels <= 0) {
    return base::invalid_argument(
        "image resize parameters must be positive and the factor at most 65536 (factor {}, min_pixels {}, "
        "max_pixels {}); check "
        "patch_size, merge_size and the size / min_pixels / max_pixels values of the preprocessor config",
        factor, min_pixels, max_pixels);
  }
  if (height > kMaxExactInteger / width || min_pixels > kMaxExactInteger || max_pixels > kMaxExactInteger) {
    return base::out_of_range("the image size {}x{} or the pixel limits are too large to resize", width, height);
  }
  const auto h = static_cast<double>(height);
  const auto w = static_cast<double>(width);
  const auto f = static_cast<double>(factor);
  const double aspect_ratio = std::max(h, w) / std::min(h, w);
  if (aspect_ratio > 200.0) {
    return base::invalid_argument(
        "the image is {}x{} pixels, an aspect ratio of {:.1f}; the Qwen-VL image processor accepts at most 200 "
        "(its 'absolute aspect ratio must be smaller than 200' rule); crop or pad the image",
        width, height, aspect_ratio);
  }
  // Python keeps h_bar and w_bar as ints; only the quotients and beta are floats.
  int64_t h_bar = static_cast<int64_t>(round_half_even(h / f)) * factor;
  int64_t w_bar = static_cast<int64_t>(round_half_even(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(static_cast<double>(height * width) / static_cast<double>(max_pixels));
    h_bar = std::max(factor, static_cast<int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / static_cast<double>(height * width));
    const double h_scaled = std::ceil(h * beta / f);
    const double w_scaled = std::ceil(w * beta / f);
    if (h_scaled * f >= static_cast<double>(kMaxExactInteger) ||
        w_scaled * f >= static_cast<double>(kMaxExactInteger)) {
      return base::out_of_range("the resized size of a {}x{} image is too large; lower min_pixels", width, height);
    }
    h_bar = static_cast<int64_t>(h_scaled) * factor;
    w_bar = static_cast<int64_t>(w_scaled) * factor;
  }
  return ResizedSize{h_bar, w_bar};
}

}  // namespace fovea::vision
