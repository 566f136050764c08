// Host-side layout of the vision tower's per-patch inputs, exactly as HF computes them (transformers 5.24
// vision_utils): each patch's (row, col) in merge-window order for the 2-D rotary, the bilinear taps and weights
// that resample the learned position table to the image grid, and the attention segments (one per temporal patch).
// Must not contain device code.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace fovea::model {

struct VisionGrid {
  int64_t t = 1;  // image_grid_thw in patches
  int64_t h = 0;
  int64_t w = 0;

  int64_t num_patches() const { return t * h * w; }
};

// Four table rows and their weights for one patch, in HF's tap order (floor_h, floor_w), (floor_h, ceil_w),
// (ceil_h, floor_w), (ceil_h, ceil_w).
struct PosEmbedTaps {
  std::array<int32_t, 4> rows = {};
  std::array<float, 4> weights = {};
};

// Appends the (row, col) patch coordinates of a grid in merge-window order ((h/m, w/m, m, m) raster), repeated for
// every temporal patch: the order of pixel_values rows.
void append_patch_coordinates(const VisionGrid& grid, int64_t merge_size, std::vector<int32_t>& rows,
                              std::vector<int32_t>& cols);

// Appends the bilinear taps (align_corners=True over a side x side table) of every patch of a grid, in the same
// order as append_patch_coordinates. All arithmetic in fp32 as torch does it.
void append_pos_embed_taps(const VisionGrid& grid, int64_t merge_size, int64_t side, std::vector<PosEmbedTaps>& taps);

// out[p, :] = sum over the 4 taps of table[row, :] * weight, products rounded to fp32 and summed in tap order.
void interpolate_pos_embed(std::span<const PosEmbedTaps> taps, const float* table,  // [side * side, hidden] f32
                           int64_t hidden, float* out);                             // [taps.size(), hidden] f32

// Segment boundaries for non-causal attention: one segment of h * w patches per temporal patch of every grid.
std::vector<int32_t> vision_cu_seqlens(std::span<const VisionGrid> grids);

}  // namespace fovea::model
