// ReferenceOps: KV-cache writes, paged causal attention and segment attention, one query row at a time with the
// full score vector in fp64 (no online softmax), so it is easy to check by eye.
#include <cmath>
#include <vector>

#include "backend/cpu/element_io.h"
#include "backend/cpu/reference_ops.h"
#include "backend/cpu/tensor_access.h"
#include "backend/cpu/value_checks.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};

// Element d of head `head_idx` of token slot `slot` in one cache tensor, dequantised.
float load_cache(const Tensor& cache, int64_t slot, int64_t head_idx, int64_t dim_idx, float scale) {
  const int64_t block_size = cache.dim(1);
  const int64_t inner = ((slot % block_size) * cache.dim(2) + head_idx) * cache.dim(3) + dim_idx;
  const float value = load_float(element_at(cache, slot / block_size, inner), cache.dtype);
  return cache.dtype == tensor::DType::kF8E4M3 ? value * scale : value;
}

void store_cache(const Tensor& cache, int64_t slot, int64_t head_idx, int64_t dim_idx, float value, float scale) {
  const int64_t block_size = cache.dim(1);
  const int64_t inner = ((slot % block_size) * cache.dim(2) + head_idx) * cache.dim(3) + dim_idx;
  store_float(element_at(cache, slot / block_size, inner), cache.dtype,
              cache.dtype == tensor::DType::kF8E4M3 ? value / scale : value);
}

// out[row] = softmax(scale * q · k_j) · v_j over the keys given by key_at/value_at(j), j < num_keys.
template <typename KeyAt, typename ValueAt>
void attend_one(const Tensor& q, int64_t token_idx, int64_t head_idx, int64_t num_keys, float scale, KeyAt&& key_at,
                ValueAt&& value_at, const Tensor& out) {
  const int64_t head_dim = q.dim(2);
  std::vector<double> scores(static_cast<size_t>(num_keys));
  double max_score = -INFINITY;
  for (int64_t key_idx = 0; key_idx < num_keys; ++key_idx) {
    double dot = 0.0;
    for (int64_t d = 0; d < head_dim; ++d) {
      dot += static_cast<double>(load_float(element_at(q, token_idx, head_idx * head_dim + d), q.dtype)) *
             key_at(key_idx, d);
    }
    scores[static_cast<size_t>(key_idx)] = dot * scale;
    max_score = std::max(max_score, dot * scale);
  }
  // Flash kernels (torch's CPU SDPA, FlashAttention-2) feed P·V with exp(s - max) rounded to the activation
  // dtype while the normalising sum keeps fp32; we round the same way.
  double sum = 0.0;
  for (double& score : scores) {
    score = std::exp(score - max_score);
    sum += score;
    score = round_to(out.dtype, static_cast<float>(score));
  }
  for (int64_t d = 0; d < head_dim; ++d) {
    double acc = 0.0;
    for (int64_t key_idx = 0; key_idx < num_keys; ++key_idx) {
      acc += scores[static_cast<size_t>(key_idx)] * value_at(key_idx, d);
    }
    // An empty key range (a zero-length segment has no queries either) never reaches here with sum == 0.
    store_float(element_at(out, token_idx, head_idx * head_dim + d), out.dtype, static_cast<float>(acc / sum));
  }
}

}  // namespace

base::Status ReferenceOps::kv_cache_write(Stream& stream, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                                          const PagedKvCache& cache) {
  FOVEA_RETURN_IF_ERROR(check_stream("kv_cache_write", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_kv_cache_write(kCpu, k, v, slot_mapping, cache));
  FOVEA_RETURN_IF_ERROR(check_index_values("kv_cache_write", "slot_mapping", slot_mapping,
                                           cache.num_blocks() * cache.block_size(), true));
  for (int64_t token_idx = 0; token_idx < k.dim(0); ++token_idx) {
    const int32_t slot = load_i32(element_at(slot_mapping, token_idx, 0));
    if (slot < 0) continue;
    for (int64_t head_idx = 0; head_idx < k.dim(1); ++head_idx) {
      for (int64_t d = 0; d < k.dim(2); ++d) {
        const int64_t inner = head_idx * k.dim(2) + d;
        store_cache(cache.k, slot, head_idx, d, load_float(element_at(k, token_idx, inner), k.dtype), cache.k_scale);
        store_cache(cache.v, slot, head_idx, d, load_float(element_at(v, token_idx, inner), v.dtype), cache.v_scale);
      }
    }
  }
  return base::Status();
}

base::Status ReferenceOps::paged_attention(Stream& stream, const Tensor& q, const PagedKvCache& cache,
                                           const PagedAttentionBatch& batch, float scale, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("paged_attention", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_paged_attention(kCpu, q, cache, batch, out));
  FOVEA_RETURN_IF_ERROR(check_paged_batch_values(batch, cache, q.dim(0)));
  const int64_t group = q.dim(1) / cache.num_kv_heads();
  const int64_t block_size = cache.block_size();
  for (int64_t seq_idx = 0; seq_idx < batch.seq_lens.dim(0); ++seq_idx) {
    const int64_t query_begin = load_i32(element_at(batch.query_start_loc, seq_idx, 0));
    const int64_t query_end = load_i32(element_at(batch.query_start_loc, seq_idx + 1, 0));
    const int64_t seq_len = load_i32(element_at(batch.seq_lens, seq_idx, 0));
    // Slot of absolute position p of this sequence.
    auto slot_of = [&](int64_t position) {
      const int32_t block_id = load_i32(element_at(batch.block_tables, seq_idx, position / block_size));
      return static_cast<int64_t>(block_id) * block_size + position % block_size;
    };
    for (int64_t token_idx = query_begin; token_idx < query_end; ++token_idx) {
      const int64_t position = seq_len - (query_end - query_begin) + (token_idx - query_begin);
      for (int64_t head_idx = 0; head_idx < q.dim(1); ++head_idx) {
        const int64_t kv_head_idx = head_idx / group;
        attend_one(
            q, token_idx, head_idx, position + 1, scale,
            [&](int64_t key_idx, int64_t d) {
              return static_cast<double>(load_cache(cache.k, slot_of(key_idx), kv_head_idx, d, cache.k_scale));
            },
            [&](int64_t key_idx, int64_t d) {
              return static_cast<double>(load_cache(cache.v, slot_of(key_idx), kv_head_idx, d, cache.v_scale));
            },
            out);
      }
    }
  }
  return base::Status();
}

base::Status ReferenceOps::segment_attention(Stream& stream, const Tensor& q, const Tensor& k, const Tensor& v,
                                             const SegmentBatch& segments, float scale, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("segment_attention", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_segment_attention(kCpu, q, k, v, segments, out));
  FOVEA_RETURN_IF_ERROR(check_segment_values(segments, q.dim(0)));
  const int64_t group = q.dim(1) / k.dim(1);
  const int64_t head_dim = q.dim(2);
  for (int64_t seg_idx = 0; seg_idx + 1 < segments.cu_seqlens.dim(0); ++seg_idx) {
    const int64_t begin = load_i32(element_at(segments.cu_seqlens, seg_idx, 0));
    const int64_t end = load_i32(element_at(segments.cu_seqlens, seg_idx + 1, 0));
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      for (int64_t head_idx = 0; head_idx < q.dim(1); ++head_idx) {
        const int64_t kv_inner = (head_idx / group) * head_dim;
        attend_one(
            q, token_idx, head_idx, end - begin, scale,
            [&](int64_t key_idx, int64_t d) {
              return static_cast<double>(load_float(element_at(k, begin + key_idx, kv_inner + d), k.dtype));
            },
            [&](int64_t key_idx, int64_t d) {
              return static_cast<double>(load_float(element_at(v, begin + key_idx, kv_inner + d), v.dtype));
            },
            out);
      }
    }
  }
  return base::Status();
}

}  // namespace fovea::backend::cpu
