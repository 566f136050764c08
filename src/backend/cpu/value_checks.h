// Checks of index and metadata VALUES that the CPU op tables read on the host before using them (ids in range,
// slots inside the cache, attention metadata consistent), so a bad batch is an error, never a stray access.
// Must not contain op code.
#pragma once

#include <cstdint>
#include <string_view>

#include "backend/op_params.h"
#include "backend/tensor.h"
#include "base/status.h"

namespace fovea::backend::cpu {

// Every entry of the i32 vector `indices` in [0, limit), or negative when allow_negative (a skipped row).
base::Status check_index_values(std::string_view op, std::string_view name, const Tensor& indices, int64_t limit,
                                bool allow_negative);

// query_start_loc non-decreasing from 0 to num_tokens, 0 <= q_len <= seq_len <= max_blocks * block_size, the
// hints at least the real maxima, and every block id a sequence uses inside the cache.
base::Status check_paged_batch_values(const PagedAttentionBatch& batch, const PagedKvCache& cache, int64_t num_tokens);

// cu_seqlens non-decreasing from 0 to num_tokens and max_seqlen at least the longest segment.
base::Status check_segment_values(const SegmentBatch& segments, int64_t num_tokens);

}  // namespace fovea::backend::cpu
