// CpuOps: KV-cache writes and the two attentions as one online-softmax kernel ("flash" style): a task owns a tile
// of query rows (tokens x the query heads of one kv head) and streams key/value blocks through fp32 scratch,
// so no score matrix is materialised and K/V are read once per tile. Parallel over (sequence, kv head, tile).
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/element_io.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/simd_kernels.h"
#include "backend/cpu/tensor_access.h"
#include "backend/cpu/value_checks.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};
constexpr int64_t kQueryTile = 16;  // query tokens per task
constexpr int64_t kKeyBlock = 64;   // keys per step of segment attention (paged attention uses the cache block)

// Per-slot scratch of one tile: num_rows query vectors against blocks of up to key_block keys.
struct FlashScratch {
  float* q;        // [num_rows, head_dim] queries times the softmax scale
  float* acc;      // [num_rows, head_dim] running sum of p * v
  float* max;      // [num_rows] running max score
  float* sum;      // [num_rows] running sum of p
  int64_t* limit;  // [num_rows] keys at positions < limit are visible to the row
  float* scores;   // [key_block]
  float* keys;     // [key_block, head_dim]
  float* values;   // [key_block, head_dim]

  static size_t bytes(int64_t num_rows, int64_t head_dim, int64_t key_block) {
    const auto floats = [](int64_t n) { return ScratchCarver::round_up(static_cast<size_t>(n) * sizeof(float)); };
    return 2 * floats(num_rows * head_dim) + 2 * floats(num_rows) +
           ScratchCarver::round_up(static_cast<size_t>(num_rows) * sizeof(int64_t)) + floats(key_block) +
           2 * floats(key_block * head_dim);
  }
  static FlashScratch carve(std::byte* base, int64_t num_rows, int64_t head_dim, int64_t key_block) {
    ScratchCarver carver(base);
    FlashScratch s{};
    s.q = carver.take<float>(num_rows * head_dim);
    s.acc = carver.take<float>(num_rows * head_dim);
    s.max = carver.take<float>(num_rows);
    s.sum = carver.take<float>(num_rows);
    s.limit = carver.take<int64_t>(num_rows);
    s.scores = carver.take<float>(key_block);
    s.keys = carver.take<float>(key_block * head_dim);
    s.values = carver.take<float>(key_block * head_dim);
    return s;
  }
};

struct VectorKernels {
  float (*dot)(const float*, const float*, int64_t);
  void (*scale_add)(float, float, const float*, float*, int64_t);
};

// Streams keys [0, max limit) in blocks through load_block(first_key, num_keys) (which fills s.keys/s.values)
// and updates every row's online softmax; then writes acc / sum through store_row(row_idx, values).
template <typename LoadBlock, typename StoreRow>
void attend_tile(FlashScratch& s, int64_t num_rows, int64_t head_dim, int64_t key_block, const VectorKernels& kernels,
                 tensor::DType probability_dtype, LoadBlock&& load_block, StoreRow&& store_row) {
  int64_t num_keys = 0;
  for (int64_t r = 0; r < num_rows; ++r) {
    num_keys = std::max(num_keys, s.limit[r]);
    s.max[r] = -INFINITY;
    s.sum[r] = 0.0f;
    std::fill(s.acc + r * head_dim, s.acc + (r + 1) * head_dim, 0.0f);
  }
  for (int64_t first_key = 0; first_key < num_keys; first_key += key_block) {
    const int64_t block_keys = std::min(key_block, num_keys - first_key);
    load_block(first_key, block_keys);
    for (int64_t r = 0; r < num_rows; ++r) {
      const int64_t visible = std::clamp<int64_t>(s.limit[r] - first_key, 0, block_keys);
      if (visible == 0) continue;
      const float* q = s.q + r * head_dim;
      float block_max = -INFINITY;
      for (int64_t j = 0; j < visible; ++j) {
        s.scores[j] = kernels.dot(q, s.keys + j * head_dim, head_dim);
        block_max = std::max(block_max, s.scores[j]);
      }
      const float new_max = std::max(s.max[r], block_max);
      float correction = std::exp(s.max[r] - new_max);
      float* acc = s.acc + r * head_dim;
      float sum = s.sum[r] * correction;
      for (int64_t j = 0; j < visible; ++j) {
        const float p = std::exp(s.scores[j] - new_max);
        sum += p;
        // P·V takes p rounded to the activation dtype, the sum keeps fp32 (as the reference and flash kernels do).
        kernels.scale_add(correction, round_to(probability_dtype, p), s.values + j * head_dim, acc, head_dim);
        correction = 1.0f;
      }
      s.sum[r] = sum;
      s.max[r] = new_max;
    }
  }
  for (int64_t r = 0; r < num_rows; ++r) {
    float* acc = s.acc + r * head_dim;
    const float inv_sum = 1.0f / s.sum[r];
    for (int64_t d = 0; d < head_dim; ++d) acc[d] *= inv_sum;
    store_row(r, acc);
  }
}

// Loads one head of token_idx of a [T, heads, head_dim] view, times `scale`, into dst.
void load_head(const Tensor& t, int64_t token_idx, int64_t head_idx, float scale, float* dst) {
  const int64_t head_dim = t.dim(2);
  load_floats(element_at(t, token_idx, head_idx * head_dim), t.dtype, head_dim, dst);
  if (scale != 1.0f) {
    for (int64_t d = 0; d < head_dim; ++d) dst[d] *= scale;
  }
}

// Asks for the rows of one cache head in block `block_id` ahead of use: they are head_dim elements every
// num_kv_heads * head_dim, a pattern the hardware prefetcher does not follow across 4 KiB pages.
void prefetch_cache_rows(const Tensor& cache, int64_t block_id, int64_t kv_head_idx) {
  const int64_t row_bytes = cache.dim(3) * cache.element_size_bytes();
  for (int64_t j = 0; j < cache.dim(1); ++j) {
    const std::byte* row = element_at(cache, block_id, (j * cache.dim(2) + kv_head_idx) * cache.dim(3));
    for (int64_t offset = 0; offset < row_bytes; offset += 64) __builtin_prefetch(row + offset);
  }
}

// Rows of one cache head: keys j < num_keys of block `block_id`, dequantised into dst [num_keys, head_dim].
void load_cache_rows(const Tensor& cache, float scale, int64_t block_id, int64_t kv_head_idx, int64_t num_keys,
                     float* dst) {
  const int64_t head_dim = cache.dim(3);
  const bool fp8 = cache.dtype == tensor::DType::kF8E4M3;
  for (int64_t j = 0; j < num_keys; ++j) {
    float* row = dst + j * head_dim;
    load_floats(element_at(cache, block_id, (j * cache.dim(2) + kv_head_idx) * head_dim), cache.dtype, head_dim, row);
    if (fp8) {
      for (int64_t d = 0; d < head_dim; ++d) row[d] *= scale;
    }
  }
}

// Index of the last entry of the non-decreasing starts[0..n] that is <= value.
int64_t owner_of(const int64_t* starts, int64_t n, int64_t value) {
  return std::upper_bound(starts, starts + n + 1, value) - starts - 1;
}

}  // namespace

base::Status CpuOps::kv_cache_write(Stream& stream, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                                    const PagedKvCache& cache) {
  FOVEA_RETURN_IF_ERROR(check_stream("kv_cache_write", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_kv_cache_write(kCpu, k, v, slot_mapping, cache));
  FOVEA_RETURN_IF_ERROR(check_index_values("kv_cache_write", "slot_mapping", slot_mapping,
                                           cache.num_blocks() * cache.block_size(), true));
  const int64_t width = k.row_numel();
  const bool fp8 = cache.k.dtype == tensor::DType::kF8E4M3;
  constexpr int64_t kChunk = 256;
  // One token's row of k or v into its cache slot, divided by the scale first for fp8 (as the reference does).
  const auto write_row = [&](const Tensor& src, const Tensor& dst, float scale, int64_t token_idx, int64_t block_id,
                             int64_t offset) {
    float chunk[kChunk];
    for (int64_t c0 = 0; c0 < width; c0 += kChunk) {
      const int64_t n = std::min(kChunk, width - c0);
      load_floats(element_at(src, token_idx, c0), src.dtype, n, chunk);
      if (fp8) {
        for (int64_t i = 0; i < n; ++i) chunk[i] /= scale;
      }
      store_floats(chunk, dst.dtype, n, element_at(dst, block_id, offset + c0));
    }
  };
  for_vectors(k.dim(0), 2 * width, [&](int64_t begin, int64_t end) {
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      const int32_t slot = load_i32(element_at(slot_mapping, token_idx, 0));
      if (slot < 0) continue;
      const int64_t block_id = slot / cache.block_size();
      const int64_t offset = (slot % cache.block_size()) * width;
      write_row(k, cache.k, cache.k_scale, token_idx, block_id, offset);
      write_row(v, cache.v, cache.v_scale, token_idx, block_id, offset);
    }
  });
  return base::Status();
}

base::Status CpuOps::paged_attention(Stream& stream, const Tensor& q, const PagedKvCache& cache,
                                     const PagedAttentionBatch& batch, float scale, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("paged_attention", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_paged_attention(kCpu, q, cache, batch, out));
  FOVEA_RETURN_IF_ERROR(check_paged_batch_values(batch, cache, q.dim(0)));
  const int64_t num_seqs = batch.seq_lens.dim(0);
  const int64_t num_kv_heads = cache.num_kv_heads();
  const int64_t group = q.dim(1) / num_kv_heads;
  const int64_t head_dim = cache.head_dim();
  const int64_t block_size = cache.block_size();
  const auto query_start = [&](int64_t seq_idx) { return load_i32(element_at(batch.query_start_loc, seq_idx, 0)); };
  // tile_starts[b]: index of sequence b's first query tile.
  auto* tile_starts = reinterpret_cast<int64_t*>(
      workspace_.get(workspace_.caller_slot(), static_cast<size_t>(num_seqs + 1) * sizeof(int64_t)));
  tile_starts[0] = 0;
  for (int64_t seq_idx = 0; seq_idx < num_seqs; ++seq_idx) {
    const int64_t q_len = query_start(seq_idx + 1) - query_start(seq_idx);
    tile_starts[seq_idx + 1] = tile_starts[seq_idx] + (q_len + kQueryTile - 1) / kQueryTile;
  }
  const VectorKernels kernels =
      use_avx2() ? VectorKernels{dot_avx2, scale_add_avx2} : VectorKernels{dot_portable, scale_add_portable};
  const int64_t max_rows = kQueryTile * group;
  const size_t slot_bytes = FlashScratch::bytes(max_rows, head_dim, block_size);
  workspace_.reserve_task_slots(slot_bytes);
  run_tasks(pool_, tile_starts[num_seqs] * num_kv_heads, [&](int64_t task_idx, int slot_idx) {
    const int64_t tile_idx = task_idx / num_kv_heads;
    const int64_t kv_head_idx = task_idx % num_kv_heads;
    const int64_t seq_idx = owner_of(tile_starts, num_seqs, tile_idx);
    const int64_t query_begin = query_start(seq_idx);
    const int64_t q_len = query_start(seq_idx + 1) - query_begin;
    const int64_t seq_len = load_i32(element_at(batch.seq_lens, seq_idx, 0));
    const int64_t first_token = query_begin + (tile_idx - tile_starts[seq_idx]) * kQueryTile;
    const int64_t num_tokens = std::min(kQueryTile, query_begin + q_len - first_token);
    FlashScratch s = FlashScratch::carve(workspace_.get(slot_idx, slot_bytes), max_rows, head_dim, block_size);
    // Row r = token offset * group + head offset; query i of the sequence sits at seq_len - q_len + i.
    // Keys the tile's last token sees: the most any of its rows reads.
    const int64_t visible_keys = seq_len - q_len + (first_token - query_begin + num_tokens - 1) + 1;
    for (int64_t t = 0; t < num_tokens; ++t) {
      const int64_t visible = seq_len - q_len + (first_token - query_begin + t) + 1;
      for (int64_t h = 0; h < group; ++h) {
        const int64_t r = t * group + h;
        s.limit[r] = visible;
        load_head(q, first_token + t, kv_head_idx * group + h, scale, s.q + r * head_dim);
      }
    }
    attend_tile(
        s, num_tokens * group, head_dim, block_size, kernels, out.dtype,
        [&](int64_t first_key, int64_t num_keys) {
          const int64_t block_idx = first_key / block_size;
          const int64_t block_id = load_i32(element_at(batch.block_tables, seq_idx, block_idx));
          if (first_key + block_size < visible_keys) {
            const int64_t next_id = load_i32(element_at(batch.block_tables, seq_idx, block_idx + 1));
            prefetch_cache_rows(cache.k, next_id, kv_head_idx);
            prefetch_cache_rows(cache.v, next_id, kv_head_idx);
          }
          load_cache_rows(cache.k, cache.k_scale, block_id, kv_head_idx, num_keys, s.keys);
          load_cache_rows(cache.v, cache.v_scale, block_id, kv_head_idx, num_keys, s.values);
        },
        [&](int64_t r, const float* values) {
          const int64_t head_idx = kv_head_idx * group + r % group;
          store_floats(values, out.dtype, head_dim, element_at(out, first_token + r / group, head_idx * head_dim));
        });
  });
  return base::Status();
}

base::Status CpuOps::segment_attention(Stream& stream, const Tensor& q, const Tensor& k, const Tensor& v,
                                       const SegmentBatch& segments, float scale, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("segment_attention", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_segment_attention(kCpu, q, k, v, segments, out));
  FOVEA_RETURN_IF_ERROR(check_segment_values(segments, q.dim(0)));
  const int64_t num_segments = segments.cu_seqlens.dim(0) - 1;
  const int64_t num_kv_heads = k.dim(1);
  const int64_t group = q.dim(1) / num_kv_heads;
  const int64_t head_dim = q.dim(2);
  const auto seg_start = [&](int64_t seg_idx) { return load_i32(element_at(segments.cu_seqlens, seg_idx, 0)); };
  auto* tile_starts = reinterpret_cast<int64_t*>(
      workspace_.get(workspace_.caller_slot(), static_cast<size_t>(num_segments + 1) * sizeof(int64_t)));
  tile_starts[0] = 0;
  for (int64_t seg_idx = 0; seg_idx < num_segments; ++seg_idx) {
    const int64_t length = seg_start(seg_idx + 1) - seg_start(seg_idx);
    tile_starts[seg_idx + 1] = tile_starts[seg_idx] + (length + kQueryTile - 1) / kQueryTile;
  }
  const VectorKernels kernels =
      use_avx2() ? VectorKernels{dot_avx2, scale_add_avx2} : VectorKernels{dot_portable, scale_add_portable};
  const int64_t max_rows = kQueryTile * group;
  const size_t slot_bytes = FlashScratch::bytes(max_rows, head_dim, kKeyBlock);
  workspace_.reserve_task_slots(slot_bytes);
  run_tasks(pool_, tile_starts[num_segments] * num_kv_heads, [&](int64_t task_idx, int slot_idx) {
    const int64_t tile_idx = task_idx / num_kv_heads;
    const int64_t kv_head_idx = task_idx % num_kv_heads;
    const int64_t seg_idx = owner_of(tile_starts, num_segments, tile_idx);
    const int64_t begin = seg_start(seg_idx);
    const int64_t length = seg_start(seg_idx + 1) - begin;
    const int64_t first_token = begin + (tile_idx - tile_starts[seg_idx]) * kQueryTile;
    const int64_t num_tokens = std::min(kQueryTile, begin + length - first_token);
    FlashScratch s = FlashScratch::carve(workspace_.get(slot_idx, slot_bytes), max_rows, head_dim, kKeyBlock);
    for (int64_t t = 0; t < num_tokens; ++t) {
      for (int64_t h = 0; h < group; ++h) {
        const int64_t r = t * group + h;
        s.limit[r] = length;
        load_head(q, first_token + t, kv_head_idx * group + h, scale, s.q + r * head_dim);
      }
    }
    attend_tile(
        s, num_tokens * group, head_dim, kKeyBlock, kernels, out.dtype,
        [&](int64_t first_key, int64_t num_keys) {
          for (int64_t j = 0; j < num_keys; ++j) {
            load_head(k, begin + first_key + j, kv_head_idx, 1.0f, s.keys + j * head_dim);
            load_head(v, begin + first_key + j, kv_head_idx, 1.0f, s.values + j * head_dim);
          }
        },
        [&](int64_t r, const float* values) {
          const int64_t head_idx = kv_head_idx * group + r % group;
          store_floats(values, out.dtype, head_dim, element_at(out, first_token + r / group, head_idx * head_dim));
        });
  });
  return base::Status();
}

}  // namespace fovea::backend::cpu
