// Flash-style attention over the paged KV cache (causal varlen) and vision segments: picks the tensor-core kernel
// (attention_mma_kernels.cu: bf16/f16, head_dim <= 128) or this file's SIMT one (f32, mixed dtypes, head_dim <= 256:
// 128 threads take 4-16 query rows, fp32 key tiles of 32 in shared memory), and merges split-KV partials.
// Numerics (docs/BACKEND.md): fp32 scores and sums; P rounded to the activation dtype before P·V.
// Must not contain validation.
#include <cstdint>

#include "backend/cuda/attention_mma.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kMaxRows = 16;  // query rows per block: 4, 8 or 16
constexpr int kKeys = 32;     // keys per tile (one per lane when scoring)
constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kMinKeysPerSplit = 256;
constexpr int kMaxSplits = 64;
constexpr int kCombineThreads = 128;

// Rows per block: the query rows of one KV head in the longest query (a decode needs only its GQA group).
int rows_per_block(const AttentionArgs& a) {
  const int64_t rows = static_cast<int64_t>(a.max_query_len) * (a.num_heads / a.num_kv_heads);
  return rows <= 4 ? 4 : (rows <= 8 ? 8 : kMaxRows);
}

size_t shared_bytes(int rows, int head_dim) {
  return static_cast<size_t>(rows * head_dim + kKeys * (head_dim + 1) + kKeys * head_dim + rows * kKeys) *
         sizeof(float);
}

int64_t row_tiles(const AttentionArgs& a) {
  const int64_t group = a.num_heads / a.num_kv_heads;
  const int rows = rows_per_block(a);
  return (static_cast<int64_t>(a.max_query_len) * group + rows - 1) / rows;
}

int split_keys(const AttentionArgs& a, int num_splits) {
  const int per_split = (a.max_seq_len + num_splits - 1) / num_splits;
  return (per_split + kKeys - 1) / kKeys * kKeys;
}

template <typename QT, typename KT, int kRows>
__global__ void __launch_bounds__(kThreads)
    attention_kernel(AttentionArgs a, int num_splits, int keys_per_split, float* part_acc, float* part_ml) {
  constexpr int kRowsPerWarp = kRows / kWarps;
  extern __shared__ float smem[];
  __shared__ float m_s[kRows];  // final softmax state, for the output
  __shared__ float l_s[kRows];
  __shared__ float alpha_s[kRows];
  __shared__ int kv_len_s[kRows];
  __shared__ int64_t token_s[kRows];
  __shared__ int head_s[kRows];

  const int hd = a.head_dim;
  float* q_s = smem;                    // [kRows][hd]
  float* k_s = q_s + kRows * hd;        // [kKeys][hd + 1] (padded: lanes read different keys)
  float* v_s = k_s + kKeys * (hd + 1);  // [kKeys][hd]
  float* p_s = v_s + kKeys * hd;        // [kRows][kKeys]

  const int tid = threadIdx.x;
  const int lane = tid % 32;
  const int warp = tid / 32;
  const int seq = blockIdx.z;
  const int kv_head = blockIdx.y % a.num_kv_heads;
  const int split = blockIdx.y / a.num_kv_heads;
  const int group = a.num_heads / a.num_kv_heads;

  int q_begin = 0;
  int q_end = 0;
  int seq_len = 0;
  if (a.paged) {
    q_begin = a.query_start_loc[seq];
    q_end = a.query_start_loc[seq + 1];
    seq_len = a.seq_lens[seq];
  } else {
    q_begin = a.cu_seqlens[seq];
    q_end = a.cu_seqlens[seq + 1];
    seq_len = q_end - q_begin;
  }
  const int q_len = q_end - q_begin;
  const int64_t row_begin = static_cast<int64_t>(blockIdx.x) * kRows;
  if (q_len <= 0 || row_begin >= static_cast<int64_t>(q_len) * group) return;  // the same for the whole block

  if (tid < kRows) {
    const int64_t flat = row_begin + tid;
    const int64_t token_local = flat / group;
    const bool valid = token_local < q_len;
    token_s[tid] = valid ? q_begin + token_local : -1;
    head_s[tid] = kv_head * group + static_cast<int>(flat % group);
    // Causal: query i of a chunk of q_len sits at seq_len - q_len + i and sees the keys up to it.
    kv_len_s[tid] = !valid ? 0 : (a.paged ? seq_len - q_len + static_cast<int>(token_local) + 1 : seq_len);
  }
  __syncthreads();
  int kv_end = 0;
  for (int r = 0; r < kRows; ++r) kv_end = max(kv_end, kv_len_s[r]);
  int key_begin = 0;
  int key_end = kv_end;
  if (num_splits > 1) {
    key_begin = split * keys_per_split;
    key_end = split + 1 == num_splits ? kv_end : min(kv_end, key_begin + keys_per_split);
  }

  const QT* q = static_cast<const QT*>(a.q);
  for (int e = tid; e < kRows * hd; e += kThreads) {
    const int r = e / hd;
    const int d = e % hd;
    const int64_t token = token_s[r];
    q_s[e] =
        token >= 0 ? Elem<QT>::load(q + token * a.q_token_stride + static_cast<int64_t>(head_s[r]) * hd + d) : 0.0f;
  }

  // Accumulator layout: thread -> column col0 (and col0 + kThreads when hd > kThreads) of rows rg, rg + G, ...
  int num_groups = 1;
  int rg = 0;
  int col0 = tid;
  bool col0_ok = true;
  bool col1_ok = false;
  if (hd <= kThreads) {
    num_groups = kThreads / hd;
    rg = tid / hd;
    col0 = tid % hd;
    col0_ok = rg < num_groups;
  } else {
    col1_ok = tid + kThreads < hd;
  }
  float acc[kRows][2];
#pragma unroll
  for (int i = 0; i < kRows; ++i) acc[i][0] = acc[i][1] = 0.0f;

  // Softmax state of the warp's rows, the same in every lane of the warp.
  float m_row[kRowsPerWarp];
  float l_row[kRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    m_row[i] = -INFINITY;
    l_row[i] = 0.0f;
  }

  const KT* k_base = static_cast<const KT*>(a.paged ? a.k_cache : a.k);
  const KT* v_base = static_cast<const KT*>(a.paged ? a.v_cache : a.v);
  for (int tile = key_begin; tile < key_end; tile += kKeys) {
    const int num_keys = min(kKeys, key_end - tile);
    __syncthreads();  // q_s written / the previous tile consumed
    for (int kk = warp; kk < kKeys; kk += kWarps) {
      const int pos = tile + kk;
      int64_t k_off = -1;
      int64_t v_off = -1;
      if (kk < num_keys) {
        if (a.paged) {
          const int64_t table_col = pos / a.block_size;
          const int32_t block = table_col < a.table_width ? a.block_tables[seq * a.block_table_stride + table_col] : -1;
          // A block id outside the cache is an engine bug: read zeros rather than stray memory.
          if (block >= 0 && block < a.num_blocks) {
            const int64_t inner = (static_cast<int64_t>(pos % a.block_size) * a.num_kv_heads + kv_head) * hd;
            k_off = block * a.k_block_stride + inner;
            v_off = block * a.v_block_stride + inner;
          }
        } else {
          const int64_t token = static_cast<int64_t>(q_begin) + pos;
          k_off = token * a.k_token_stride + static_cast<int64_t>(kv_head) * hd;
          v_off = token * a.v_token_stride + static_cast<int64_t>(kv_head) * hd;
        }
      }
      for (int d = lane; d < hd; d += 32) {
        float k_value = 0.0f;
        float v_value = 0.0f;
        if (k_off >= 0) {
          k_value = Elem<KT>::load(k_base + k_off + d);
          v_value = Elem<KT>::load(v_base + v_off + d);
          if constexpr (Elem<KT>::kIsFp8) {
            k_value = __fmul_rn(k_value, a.k_scale);
            v_value = __fmul_rn(v_value, a.v_scale);
          }
        }
        k_s[kk * (hd + 1) + d] = k_value;
        v_s[kk * hd + d] = v_value;
      }
    }
    __syncthreads();

    // Scores: lane = key, the warp's rows.
    float s[kRowsPerWarp];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) s[i] = 0.0f;
    const float* k_row = k_s + lane * (hd + 1);
    const float* q_rows = q_s + warp * kRowsPerWarp * hd;
    for (int d = 0; d < hd; ++d) {
      const float k_value = k_row[d];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) s[i] += q_rows[i * hd + d] * k_value;
    }
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i;
      const bool ok = lane < num_keys && tile + lane < kv_len_s[r];
      const float score = ok ? s[i] * a.scale : -INFINITY;
      const float m_old = m_row[i];
      const float m_new = fmaxf(m_old, warp_max(score));
      const float p = ok ? expf(score - m_new) : 0.0f;
      const float p_sum = warp_sum(p);
      const float alpha = m_old == -INFINITY ? 0.0f : expf(m_old - m_new);
      l_row[i] = l_row[i] * alpha + p_sum;
      m_row[i] = m_new;
      p_s[r * kKeys + lane] = Elem<QT>::round(p);
      if (lane == 0) alpha_s[r] = alpha;
    }
    __syncthreads();

    // acc = alpha * acc + P · V
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      const int r = rg + i * num_groups;
      if (r < kRows) {
        const float alpha = alpha_s[r];
        acc[i][0] *= alpha;
        acc[i][1] *= alpha;
      }
    }
    for (int j = 0; j < num_keys; ++j) {
      const float v0 = col0_ok ? v_s[j * hd + col0] : 0.0f;
      const float v1 = col1_ok ? v_s[j * hd + col0 + kThreads] : 0.0f;
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const int r = rg + i * num_groups;
        if (r < kRows) {
          const float p = p_s[r * kKeys + j];
          acc[i][0] += p * v0;
          acc[i][1] += p * v1;
        }
      }
    }
  }

  if (lane == 0) {
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      m_s[warp * kRowsPerWarp + i] = m_row[i];
      l_s[warp * kRowsPerWarp + i] = l_row[i];
    }
  }
  __syncthreads();
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int r = rg + i * num_groups;
    if (r >= kRows || !col0_ok || token_s[r] < 0) continue;
    const int64_t token = token_s[r];
    const int64_t head = head_s[r];
    if (num_splits == 1) {
      QT* out = static_cast<QT*>(a.out) + token * a.out_token_stride + head * hd;
      Elem<QT>::store(out + col0, acc[i][0] / l_s[r]);
      if (col1_ok) Elem<QT>::store(out + col0 + kThreads, acc[i][1] / l_s[r]);
    } else {
      float* dst = part_acc + ((static_cast<int64_t>(split) * a.num_tokens + token) * a.num_heads + head) * hd;
      dst[col0] = acc[i][0];
      if (col1_ok) dst[col0 + kThreads] = acc[i][1];
    }
  }
  if (num_splits > 1 && tid < kRows && token_s[tid] >= 0) {
    float* ml = part_ml + ((static_cast<int64_t>(split) * a.num_tokens + token_s[tid]) * a.num_heads + head_s[tid]) * 2;
    ml[0] = m_s[tid];
    ml[1] = l_s[tid];
  }
}

// Merges the splits of one (token, head): rescales each split's sums to the common maximum.
__global__ void combine_kernel(AttentionArgs a, int num_splits, const float* part_acc, const float* part_ml) {
  const int64_t token = blockIdx.x / a.num_heads;
  const int64_t head = blockIdx.x % a.num_heads;
  const int64_t split_stride = a.num_tokens * a.num_heads;
  const int64_t th = token * a.num_heads + head;
  float m_max = -INFINITY;
  for (int split = 0; split < num_splits; ++split) m_max = fmaxf(m_max, part_ml[(split * split_stride + th) * 2]);
  float l_total = 0.0f;
  for (int split = 0; split < num_splits; ++split) {
    const float m = part_ml[(split * split_stride + th) * 2];
    if (m != -INFINITY) l_total += part_ml[(split * split_stride + th) * 2 + 1] * expf(m - m_max);
  }
  for (int d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float sum = 0.0f;
    for (int split = 0; split < num_splits; ++split) {
      const float m = part_ml[(split * split_stride + th) * 2];
      if (m != -INFINITY) sum += part_acc[(split * split_stride + th) * a.head_dim + d] * expf(m - m_max);
    }
    store_elem(a.out, token * a.out_token_stride + head * a.head_dim + d, a.act_type, sum / l_total);
  }
}

using AttentionKernel = void (*)(AttentionArgs, int, int, float*, float*);

template <typename QT, typename KT>
AttentionKernel pick_rows(int rows) {
  if (rows == 4) return attention_kernel<QT, KT, 4>;
  if (rows == 8) return attention_kernel<QT, KT, 8>;
  return attention_kernel<QT, KT, kMaxRows>;
}

template <typename QT>
AttentionKernel pick_kernel(ElemType kv_type, int rows) {
  switch (kv_type) {
    case ElemType::kF32:
      return pick_rows<QT, float>(rows);
    case ElemType::kBF16:
      return pick_rows<QT, __nv_bfloat16>(rows);
    case ElemType::kF16:
      return pick_rows<QT, __half>(rows);
    case ElemType::kF8E4M3:
      return pick_rows<QT, Fp8E4M3>(rows);
    default:
      return nullptr;
  }
}

AttentionKernel pick_kernel(ElemType act_type, ElemType kv_type, int rows) {
  switch (act_type) {
    case ElemType::kF32:
      return pick_kernel<float>(kv_type, rows);
    case ElemType::kBF16:
      return pick_kernel<__nv_bfloat16>(kv_type, rows);
    case ElemType::kF16:
      return pick_kernel<__half>(kv_type, rows);
    default:
      return nullptr;
  }
}

}  // namespace

int attention_num_splits(const AttentionArgs& args, int num_sms) {
  if (!args.paged || args.num_kv_heads <= 0) return 1;
  if (attention_mma_applies(args)) return attention_mma_num_splits(args, num_sms);
  const int64_t base_blocks = static_cast<int64_t>(args.num_seqs) * args.num_kv_heads * row_tiles(args);
  if (base_blocks == 0 || base_blocks >= num_sms || args.max_seq_len < 2 * kMinKeysPerSplit) return 1;
  int64_t splits = (2 * static_cast<int64_t>(num_sms) + base_blocks - 1) / base_blocks;
  const int64_t by_length = (args.max_seq_len + kMinKeysPerSplit - 1) / kMinKeysPerSplit;
  if (splits > by_length) splits = by_length;
  if (splits > kMaxSplits) splits = kMaxSplits;
  return splits < 1 ? 1 : static_cast<int>(splits);
}

size_t attention_workspace_bytes(const AttentionArgs& args, int num_splits) {
  if (num_splits <= 1) return 0;
  const size_t rows =
      static_cast<size_t>(num_splits) * static_cast<size_t>(args.num_tokens) * static_cast<size_t>(args.num_heads);
  const size_t acc_bytes = (rows * static_cast<size_t>(args.head_dim) * sizeof(float) + 255) / 256 * 256;
  return acc_bytes + rows * 2 * sizeof(float);
}

cudaError_t launch_attention(const AttentionArgs& args, int num_splits, void* workspace, cudaStream_t stream) {
  if (args.num_tokens == 0 || args.num_seqs == 0) return cudaSuccess;
  const int64_t tiles = row_tiles(args);
  if (tiles == 0) return cudaSuccess;
  const int64_t grid_y = static_cast<int64_t>(args.num_kv_heads) * num_splits;
  if (tiles > 0x7fffffff || grid_y > 65535 || args.num_seqs > 65535) return cudaErrorInvalidConfiguration;
  float* part_acc = nullptr;
  float* part_ml = nullptr;
  if (num_splits > 1) {
    const size_t rows =
        static_cast<size_t>(num_splits) * static_cast<size_t>(args.num_tokens) * static_cast<size_t>(args.num_heads);
    part_acc = static_cast<float*>(workspace);
    part_ml = reinterpret_cast<float*>(static_cast<char*>(workspace) +
                                       (rows * static_cast<size_t>(args.head_dim) * sizeof(float) + 255) / 256 * 256);
  }
  cudaError_t error = cudaSuccess;
  if (attention_mma_applies(args)) {
    error = launch_attention_mma(args, num_splits, part_acc, part_ml, stream);
  } else {
    const int rows = rows_per_block(args);
    const AttentionKernel kernel = pick_kernel(args.act_type, args.kv_type, rows);
    if (kernel == nullptr || args.head_dim > kAttentionMaxHeadDim) return cudaErrorInvalidValue;
    const size_t smem = shared_bytes(rows, args.head_dim);
    if (smem > 48 * 1024) {
      error = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
      if (error != cudaSuccess) return error;
    }
    const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(grid_y), static_cast<unsigned>(args.num_seqs));
    kernel<<<grid, kThreads, smem, stream>>>(args, num_splits, split_keys(args, num_splits), part_acc, part_ml);
    error = cudaGetLastError();
  }
  if (error != cudaSuccess || num_splits == 1) return error;
  const int64_t num_rows = args.num_tokens * args.num_heads;
  if (num_rows > 0x7fffffff) return cudaErrorInvalidConfiguration;
  combine_kernel<<<static_cast<unsigned>(num_rows), kCombineThreads, 0, stream>>>(args, num_splits, part_acc, part_ml);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
