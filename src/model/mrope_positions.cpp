// get_rope_index in C++: text runs and visual grids laid out one after another.
#include "model/mrope_positions.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>

#include "base/checked_math.h"

namespace fovea::model {

int64_t segment_num_tokens(const VisualSegment& segment, int64_t spatial_merge_size) {
  return segment.grid_t * (segment.grid_h / spatial_merge_size) * (segment.grid_w / spatial_merge_size);
}

base::Result<MropePositions> compute_mrope_positions(int64_t num_tokens, std::span<const VisualSegment> segments,
                                                     int64_t spatial_merge_size) {
  constexpr int64_t kMaxTokens = std::numeric_limits<int32_t>::max() / 2;
  if (num_tokens < 0 || num_tokens > kMaxTokens) {
    return base::invalid_argument("mrope positions: {} tokens is outside 0 to {}", num_tokens, kMaxTokens);
  }
  if (spatial_merge_size < 1) {
    return base::invalid_argument("mrope positions: spatial_merge_size {} must be at least 1", spatial_merge_size);
  }
  MropePositions out;
  const auto row = static_cast<size_t>(num_tokens);
  out.positions.resize(3 * row);
  int64_t cursor = 0;       // next token index to place
  int64_t current_pos = 0;  // position of the next text token
  int64_t max_position = -1;
  auto place_text = [&](int64_t end) {
    for (; cursor < end; ++cursor, ++current_pos) {
      const auto idx = static_cast<size_t>(cursor);
      const auto value = static_cast<int32_t>(current_pos);
      out.positions[idx] = out.positions[row + idx] = out.positions[2 * row + idx] = value;
      max_position = current_pos;
    }
  };
  for (size_t segment_idx = 0; segment_idx < segments.size(); ++segment_idx) {
    const VisualSegment& segment = segments[segment_idx];
    const bool grid_ok = segment.grid_t >= 1 && segment.grid_h >= 1 && segment.grid_w >= 1 &&
                         segment.grid_h % spatial_merge_size == 0 && segment.grid_w % spatial_merge_size == 0 &&
                         segment.grid_h <= kMaxTokens && segment.grid_w <= kMaxTokens && segment.grid_t <= kMaxTokens;
    if (!grid_ok) {
      return base::invalid_argument(
          "mrope positions: segment {} has grid [{}, {}, {}]; t must be >= 1 and h, w "
          "positive multiples of the merge size {}",
          segment_idx, segment.grid_t, segment.grid_h, segment.grid_w, spatial_merge_size);
    }
    const int64_t gh = segment.grid_h / spatial_merge_size;
    const int64_t gw = segment.grid_w / spatial_merge_size;
    const std::optional<int64_t> area = base::checked_mul(gh, gw);
    const std::optional<int64_t> product = area ? base::checked_mul(segment.grid_t, *area) : std::nullopt;
    const int64_t count = product.value_or(std::numeric_limits<int64_t>::max());
    if (segment.start_idx < cursor || count > num_tokens || segment.start_idx > num_tokens - count) {
      return base::invalid_argument(
          "mrope positions: segment {} ({} tokens at {}) overlaps the previous one or runs "
          "past the {} tokens; pass segments in order, inside the prompt",
          segment_idx, count, segment.start_idx, num_tokens);
    }
    place_text(segment.start_idx);
    const int64_t start = current_pos;
    for (int64_t t = 0; t < segment.grid_t; ++t) {
      for (int64_t r = 0; r < gh; ++r) {
        for (int64_t c = 0; c < gw; ++c, ++cursor) {
          const auto idx = static_cast<size_t>(cursor);
          out.positions[idx] = static_cast<int32_t>(start + t);
          out.positions[row + idx] = static_cast<int32_t>(start + r);
          out.positions[2 * row + idx] = static_cast<int32_t>(start + c);
        }
      }
    }
    max_position = std::max(max_position, start + std::max({segment.grid_t - 1, gh - 1, gw - 1}));
    current_pos = start + std::max(gh, gw);
  }
  place_text(num_tokens);
  out.rope_delta = max_position + 1 - num_tokens;
  return out;
}

}  // namespace fovea::model
