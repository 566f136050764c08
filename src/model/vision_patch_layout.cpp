// Patch coordinates, bilinear position-table taps and attention segments of the vision tower (host code).
#include "model/vision_patch_layout.h"

#include <algorithm>
#include <cmath>

namespace fovea::model {
namespace {

// One axis of HF's _interpolation_axis_taps_weights(mode="bilinear", align_corners=True): index i of an axis of
// `size` patches onto a table side of `side` entries.
struct AxisTaps {
  std::array<int32_t, 2> taps;
  std::array<float, 2> weights;
};

AxisTaps axis_taps(int64_t index, int64_t size, int64_t side) {
  // src = index * (side - 1) / clamp(size - 1, min=1), each step rounded to fp32.
  const float scaled = static_cast<float>(index) * static_cast<float>(side - 1);
  const float src = scaled / static_cast<float>(std::max<int64_t>(size - 1, 1));
  const float floor_value = std::floor(src);
  const float frac = src - floor_value;
  AxisTaps out{};
  const auto base = static_cast<int64_t>(floor_value);
  for (int offset = 0; offset < 2; ++offset) {
    const float distance = std::fabs(frac - static_cast<float>(offset));
    out.weights[static_cast<size_t>(offset)] = std::max(1.0f - distance, 0.0f);
    out.taps[static_cast<size_t>(offset)] = static_cast<int32_t>(std::clamp<int64_t>(base + offset, 0, side - 1));
  }
  return out;
}

// Calls fn(row, col) for every patch of one temporal slice in merge-window order.
template <typename Fn>
void for_each_patch(const VisionGrid& grid, int64_t merge_size, Fn&& fn) {
  for (int64_t block_row = 0; block_row < grid.h / merge_size; ++block_row) {
    for (int64_t block_col = 0; block_col < grid.w / merge_size; ++block_col) {
      for (int64_t in_row = 0; in_row < merge_size; ++in_row) {
        for (int64_t in_col = 0; in_col < merge_size; ++in_col) {
          fn(block_row * merge_size + in_row, block_col * merge_size + in_col);
        }
      }
    }
  }
}

}  // namespace

void append_patch_coordinates(const VisionGrid& grid, int64_t merge_size, std::vector<int32_t>& rows,
                              std::vector<int32_t>& cols) {
  for (int64_t t = 0; t < grid.t; ++t) {
    for_each_patch(grid, merge_size, [&](int64_t row, int64_t col) {
      rows.push_back(static_cast<int32_t>(row));
      cols.push_back(static_cast<int32_t>(col));
    });
  }
}

void append_pos_embed_taps(const VisionGrid& grid, int64_t merge_size, int64_t side, std::vector<PosEmbedTaps>& taps) {
  const size_t first = taps.size();
  for_each_patch(grid, merge_size, [&](int64_t row, int64_t col) {
    const AxisTaps h = axis_taps(row, grid.h, side);
    const AxisTaps w = axis_taps(col, grid.w, side);
    PosEmbedTaps patch;
    for (size_t hi = 0; hi < 2; ++hi) {
      for (size_t wi = 0; wi < 2; ++wi) {
        patch.rows[hi * 2 + wi] = static_cast<int32_t>(h.taps[hi] * side + w.taps[wi]);
        patch.weights[hi * 2 + wi] = h.weights[hi] * w.weights[wi];
      }
    }
    taps.push_back(patch);
  });
  // Every temporal patch repeats the frame's taps.
  const size_t per_frame = taps.size() - first;
  for (int64_t t = 1; t < grid.t; ++t) {
    for (size_t idx = 0; idx < per_frame; ++idx) taps.push_back(taps[first + idx]);
  }
}

void interpolate_pos_embed(std::span<const PosEmbedTaps> taps, const float* table, int64_t hidden, float* out) {
  const auto width = static_cast<size_t>(hidden);
  for (size_t patch_idx = 0; patch_idx < taps.size(); ++patch_idx) {
    const PosEmbedTaps& patch = taps[patch_idx];
    float* dst = out + patch_idx * width;
    const float* r0 = table + static_cast<size_t>(patch.rows[0]) * width;
    const float* r1 = table + static_cast<size_t>(patch.rows[1]) * width;
    const float* r2 = table + static_cast<size_t>(patch.rows[2]) * width;
    const float* r3 = table + static_cast<size_t>(patch.rows[3]) * width;
    for (size_t col = 0; col < width; ++col) {
      float sum = r0[col] * patch.weights[0];
      sum += r1[col] * patch.weights[1];
      sum += r2[col] * patch.weights[2];
      sum += r3[col] * patch.weights[3];
      dst[col] = sum;
    }
  }
}

std::vector<int32_t> vision_cu_seqlens(std::span<const VisionGrid> grids) {
  std::vector<int32_t> cu_seqlens = {0};
  for (const VisionGrid& grid : grids) {
    for (int64_t t = 0; t < grid.t; ++t)
      cu_seqlens.push_back(static_cast<int32_t>(cu_seqlens.back() + grid.h * grid.w));
  }
  return cu_seqlens;
}

}  // namespace fovea::model
