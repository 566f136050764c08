// The separable antialiased bicubic resampler: per-axis tap tables (double weights -> int16 fixed point, as torch's
// _compute_index_ranges_int16_weights does) and two integer convolution passes with a uint8 intermediate image.
// Must not contain sizing policy or normalisation.
#include "vision/bicubic_resampler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace fovea::vision {
namespace {

// Fixed-point taps of one axis: output index o reads count[o] inputs from first[o] with coefficients
// coeffs[o * max_taps + t], scaled by 2^precision.
struct AxisTaps {
  int precision = 0;
  int64_t max_taps = 0;
  std::vector<int32_t> first;   // [out_size]
  std::vector<int32_t> count;   // [out_size]
  std::vector<int16_t> coeffs;  // [out_size, max_taps]
};

// Keys' cubic convolution kernel with a = -0.5 (PIL's and torch's choice with antialias), written in the same
// operation order as torch so that the double results agree bit for bit.
double keys_cubic(double x) {
  constexpr double kA = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((kA + 2.0) * x - (kA + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((kA * x - 5.0 * kA) * x + 8.0 * kA) * x - 4.0 * kA;
  return 0.0;
}

AxisTaps compute_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  // The kernel spans 2 input pixels each side when upscaling, 2 * scale when downscaling (antialiasing).
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;
  const double inv_scale = scale >= 1.0 ? 1.0 / scale : 1.0;
  AxisTaps taps;
  taps.max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  taps.first.resize(static_cast<size_t>(out_size));
  taps.count.resize(static_cast<size_t>(out_size));
  std::vector<double> weights(static_cast<size_t>(out_size * taps.max_taps), 0.0);
  double max_weight = 0.0;
  // The (int)(x + 0.5) truncations below are torch's, kept exactly (NOLINTs): lround would round differently.
  for (int64_t o = 0; o < out_size; ++o) {
    const double center = scale * (static_cast<double>(o) + 0.5);
    const auto lower = static_cast<int64_t>(center - support + 0.5);  // NOLINT(bugprone-incorrect-roundings)
    const auto upper = static_cast<int64_t>(center + support + 0.5);  // NOLINT(bugprone-incorrect-roundings)
    const int64_t first = std::max(lower, int64_t{0});
    const int64_t count = std::clamp(std::min(upper, in_size) - first, int64_t{0}, taps.max_taps);
    double* w = &weights[static_cast<size_t>(o * taps.max_taps)];
    double total = 0.0;
    for (int64_t t = 0; t < count; ++t) {
      w[t] = keys_cubic((static_cast<double>(t + first) - center + 0.5) * inv_scale);
      total += w[t];
    }
    if (total != 0.0) {
      for (int64_t t = 0; t < count; ++t) {
        w[t] /= total;
        max_weight = std::max(max_weight, w[t]);
      }
    }
    taps.first[static_cast<size_t>(o)] = static_cast<int32_t>(first);
    taps.count[static_cast<size_t>(o)] = static_cast<int32_t>(count);
  }
  // The largest precision (at most 22 bits) at which the largest weight still fits int16 with a bit to spare.
  int precision = 0;
  for (; precision < 22; ++precision) {
    const double scaled = max_weight * static_cast<double>(1 << (precision + 1));
    const auto next = static_cast<int>(0.5 + scaled);  // NOLINT(bugprone-incorrect-roundings)
    if (next >= (1 << 15)) break;
  }
  taps.precision = precision;
  taps.coeffs.resize(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    // Exact (a power-of-two scale), then rounded half away from zero, as torch does.
    const double v = weights[i] * static_cast<double>(1 << precision);
    const double shifted = v < 0 ? v - 0.5 : v + 0.5;
    taps.coeffs[i] = static_cast<int16_t>(static_cast<int>(shifted));
  }
  return taps;
}

uint8_t to_u8(int32_t accumulator, int precision) {
  return static_cast<uint8_t>(std::clamp(accumulator >> precision, 0, 255));
}

// acc[i] += coefficient * src[i]: int16 x int16 -> int32 products (exact: pixels fit int16), the form that
// vectorises with plain SSE2 multiply-add.
inline void accumulate_row(int32_t* __restrict acc, const uint8_t* __restrict src, int16_t coefficient, int64_t size) {
  for (int64_t i = 0; i < size; ++i) acc[i] += int32_t{coefficient} * int32_t{static_cast<int16_t>(src[i])};
}

// Rows resized together by the horizontal pass: their pixels are interleaved column by column so that one tap
// multiplies kRowBlock * 3 contiguous values (vectorised) instead of 3.
constexpr int64_t kRowBlock = 16;

// [height, in_width, 3] -> [height, out_width, 3].
void resize_rows(const uint8_t* in, int64_t height, int64_t in_width, const AxisTaps& taps, int64_t out_width,
                 uint8_t* out) {
  const int32_t rounding = int32_t{1} << (taps.precision - 1);
  std::vector<uint8_t> block(static_cast<size_t>(in_width * kRowBlock * 3));  // [in_width, rows, 3]
  std::array<int32_t, kRowBlock * 3> accumulator;
  for (int64_t y0 = 0; y0 < height; y0 += kRowBlock) {
    const int64_t num_rows = std::min(kRowBlock, height - y0);
    const int64_t lanes = num_rows * 3;
    for (int64_t r = 0; r < num_rows; ++r) {
      const uint8_t* row = in + (y0 + r) * in_width * 3;
      for (int64_t x = 0; x < in_width; ++x) {
        uint8_t* dst = &block[static_cast<size_t>(x * lanes + r * 3)];
        dst[0] = row[x * 3];
        dst[1] = row[x * 3 + 1];
        dst[2] = row[x * 3 + 2];
      }
    }
    for (int64_t x = 0; x < out_width; ++x) {
      std::fill(accumulator.begin(), accumulator.begin() + lanes, rounding);
      const int16_t* k = &taps.coeffs[static_cast<size_t>(x * taps.max_taps)];
      const int64_t first = taps.first[static_cast<size_t>(x)];
      for (int32_t t = 0; t < taps.count[static_cast<size_t>(x)]; ++t) {
        accumulate_row(accumulator.data(), &block[static_cast<size_t>((first + t) * lanes)], k[t], lanes);
      }
      for (int64_t r = 0; r < num_rows; ++r) {
        uint8_t* dst = out + ((y0 + r) * out_width + x) * 3;
        for (int64_t c = 0; c < 3; ++c) dst[c] = to_u8(accumulator[static_cast<size_t>(r * 3 + c)], taps.precision);
      }
    }
  }
}

// [in_height, width, 3] -> [out_height, width, 3]; the inner loop runs along a row, so it vectorises.
void resize_columns(const uint8_t* in, int64_t width, const AxisTaps& taps, int64_t out_height, uint8_t* out) {
  const int64_t row_size = width * 3;
  const int32_t rounding = int32_t{1} << (taps.precision - 1);
  std::vector<int32_t> accumulator(static_cast<size_t>(row_size));
  for (int64_t y = 0; y < out_height; ++y) {
    std::fill(accumulator.begin(), accumulator.end(), rounding);
    const int16_t* k = &taps.coeffs[static_cast<size_t>(y * taps.max_taps)];
    const int64_t first = taps.first[static_cast<size_t>(y)];
    for (int32_t t = 0; t < taps.count[static_cast<size_t>(y)]; ++t) {
      accumulate_row(accumulator.data(), in + (first + t) * row_size, k[t], row_size);
    }
    uint8_t* out_row = out + y * row_size;
    for (int64_t i = 0; i < row_size; ++i) out_row[i] = to_u8(accumulator[static_cast<size_t>(i)], taps.precision);
  }
}

}  // namespace

base::Result<RgbImage> resize_bicubic_antialias(const RgbImage& image, int64_t out_height, int64_t out_width) {
  if (image.width <= 0 || image.height <= 0 || out_width <= 0 || out_height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width * image.height * 3)) {
    return base::invalid_argument("cannot resize a {}x{} image ({} bytes) to {}x{}", image.width, image.height,
                                  image.pixels.size(), out_width, out_height);
  }
  RgbImage out;
  out.width = out_width;
  out.height = out_height;
  const bool resize_width = out_width != image.width;
  const bool resize_height = out_height != image.height;
  if (!resize_width && !resize_height) {
    out.pixels = image.pixels;
    return out;
  }
  out.pixels.resize(static_cast<size_t>(out_width * out_height * 3));
  if (resize_width && !resize_height) {
    resize_rows(image.pixels.data(), image.height, image.width, compute_taps(image.width, out_width), out_width,
                out.pixels.data());
    return out;
  }
  if (!resize_width) {
    resize_columns(image.pixels.data(), image.width, compute_taps(image.height, out_height), out_height,
                   out.pixels.data());
    return out;
  }
  // Horizontal first, as torch does, through a uint8 intermediate [in_height, out_width, 3].
  std::vector<uint8_t> intermediate(static_cast<size_t>(image.height * out_width * 3));
  resize_rows(image.pixels.data(), image.height, image.width, compute_taps(image.width, out_width), out_width,
              intermediate.data());
  resize_columns(intermediate.data(), out_width, compute_taps(image.height, out_height), out_height, out.pixels.data());
  return out;
}

}  // namespace fovea::vision
