// Element addressing of CPU views for the op tables: element (row, inner) of a tensor whose dim 0 is strided, and
// the start of the v-th last-dim vector (a head of a [T, heads, D] view). Must not contain op code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/tensor.h"

namespace fovea::backend::cpu {

// Element `inner` (flat index over dims 1..) of row `row_idx`.
inline std::byte* element_at(const Tensor& t, int64_t row_idx, int64_t inner_idx) {
  return t.host_bytes() + (row_idx * t.stride_rows() + inner_idx) * t.element_size_bytes();
}

// Number of last-dim vectors (rows times the vectors inside a row; one for a 1-D view, which is packed).
inline int64_t num_vectors(const Tensor& t) {
  if (t.numel() == 0) return 0;
  if (t.rank() == 1) return 1;
  return t.num_rows() * (t.row_numel() / t.last_dim());
}

// Start of last-dim vector `vector_idx`, counting row-major over all dims but the last.
inline std::byte* vector_at(const Tensor& t, int64_t vector_idx) {
  if (t.rank() == 1) return t.host_bytes();
  const int64_t per_row = t.row_numel() / t.last_dim();
  return element_at(t, vector_idx / per_row, (vector_idx % per_row) * t.last_dim());
}

}  // namespace fovea::backend::cpu
