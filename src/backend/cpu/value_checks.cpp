// Host-side value checks of indices and attention metadata.
#include "backend/cpu/value_checks.h"

#include "backend/cpu/element_io.h"

namespace fovea::backend::cpu {
namespace {

int32_t at(const Tensor& vector, int64_t idx) { return load_i32(vector.host_bytes() + idx * 4); }

int32_t at(const Tensor& matrix, int64_t row_idx, int64_t col_idx) {
  return load_i32(matrix.host_bytes() + (row_idx * matrix.stride_rows() + col_idx) * 4);
}

}  // namespace

base::Status check_index_values(std::string_view op, std::string_view name, const Tensor& indices, int64_t limit,
                                bool allow_negative) {
  for (int64_t idx = 0; idx < indices.dim(0); ++idx) {
    const int32_t value = at(indices, idx);
    if ((value < 0 && !allow_negative) || value >= limit) {
      return base::invalid_argument("{}: {}[{}] is {}, outside [0, {})", op, name, idx, value, limit);
    }
  }
  return base::Status();
}

base::Status check_paged_batch_values(const PagedAttentionBatch& batch, const PagedKvCache& cache, int64_t num_tokens) {
  const int64_t num_seqs = batch.seq_lens.dim(0);
  const int64_t max_blocks = batch.block_tables.dim(1);
  if (at(batch.query_start_loc, 0) != 0 || at(batch.query_start_loc, num_seqs) != num_tokens) {
    return base::invalid_argument("paged_attention: query_start_loc must run from 0 to the {} query tokens",
                                  num_tokens);
  }
  for (int64_t seq_idx = 0; seq_idx < num_seqs; ++seq_idx) {
    const int64_t q_len = at(batch.query_start_loc, seq_idx + 1) - at(batch.query_start_loc, seq_idx);
    const int64_t seq_len = at(batch.seq_lens, seq_idx);
    if (q_len < 0 || q_len > seq_len || q_len > batch.max_query_len || seq_len > batch.max_seq_len) {
      return base::invalid_argument(
          "paged_attention: sequence {} has {} new tokens and seq_len {} (hints {} and {}); need 0 <= new <= seq_len "
          "within the hints",
          seq_idx, q_len, seq_len, batch.max_query_len, batch.max_seq_len);
    }
    const int64_t num_blocks_used = (seq_len + cache.block_size() - 1) / cache.block_size();
    if (num_blocks_used > max_blocks) {
      return base::invalid_argument("paged_attention: sequence {} needs {} blocks but block_tables has {} columns",
                                    seq_idx, num_blocks_used, max_blocks);
    }
    for (int64_t block_idx = 0; block_idx < num_blocks_used; ++block_idx) {
      const int32_t block_id = at(batch.block_tables, seq_idx, block_idx);
      if (block_id < 0 || block_id >= cache.num_blocks()) {
        return base::invalid_argument("paged_attention: block_tables[{}][{}] is {}, outside the cache's {} blocks",
                                      seq_idx, block_idx, block_id, cache.num_blocks());
      }
    }
  }
  return base::Status();
}

base::Status check_segment_values(const SegmentBatch& segments, int64_t num_tokens) {
  const int64_t num_segments = segments.cu_seqlens.dim(0) - 1;
  if (at(segments.cu_seqlens, 0) != 0 || at(segments.cu_seqlens, num_segments) != num_tokens) {
    return base::invalid_argument("segment_attention: cu_seqlens must run from 0 to the {} tokens", num_tokens);
  }
  for (int64_t seg_idx = 0; seg_idx < num_segments; ++seg_idx) {
    const int64_t length = at(segments.cu_seqlens, seg_idx + 1) - at(segments.cu_seqlens, seg_idx);
    if (length < 0 || length > segments.max_seqlen) {
      return base::invalid_argument("segment_attention: segment {} has {} tokens; need 0 <= length <= max_seqlen {}",
                                    seg_idx, length, segments.max_seqlen);
    }
  }
  return base::Status();
}

}  // namespace fovea::backend::cpu
