// The 3-D (t, h, w) rotary positions of a Qwen3-VL prompt and its rope_delta, computed from where the visual
// segments sit (HF Qwen3VLModel.get_rope_index, spec §2.2). A pure function of the token layout: no token ids,
// no model. Must not contain rotary math (the backend's rope_cos_sin) or prompt rendering.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace fovea::model {

// One run of consecutive placeholder tokens (an image, or one temporal patch of a video: the processor gives each
// temporal patch its own <|vision_start|> ... <|vision_end|>, so pass each as its own segment with grid_t = 1).
struct VisualSegment {
  int64_t start_idx = 0;  // index of the first placeholder token in the sequence
  int64_t grid_t = 1;     // image_grid_thw in patches (not merged)
  int64_t grid_h = 0;
  int64_t grid_w = 0;
};

struct MropePositions {
  std::vector<int32_t> positions;  // [3 * T]: row t, then row h, then row w
  int64_t rope_delta = 0;          // max position + 1 - T
};

// Positions of a whole prompt of num_tokens tokens. Text runs count up from the position after the previous run;
// a segment of llm grid (t, h/m, w/m) starting at p gives its tokens (p + t_idx, p + row, p + col) in raster
// order, and the text after it resumes at p + max(h, w) / m. Errors: segments out of order, overlapping, outside
// the prompt, or with a grid that does not divide by the merge size.
base::Result<MropePositions> compute_mrope_positions(int64_t num_tokens, std::span<const VisualSegment> segments,
                                                     int64_t spatial_merge_size);

// Position (all three rows) of token token_idx past the prompt, e.g. a decoded token: token_idx + rope_delta.
inline int64_t mrope_decode_position(int64_t token_idx, int64_t rope_delta) { return token_idx + rope_delta; }

// Number of placeholder tokens of a segment: t * h * w / m^2.
int64_t segment_num_tokens(const VisualSegment& segment, int64_t spatial_merge_size);

}  // namespace fovea::model
