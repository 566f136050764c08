// Tensor-core flash attention (mma.sync m16n8k16, fp32 accumulation, bf16/f16): paged causal (prefill chunks and
// decodes in one launch, GQA rows packed per KV head) and vision segments; K/V tiles gathered by cp.async, FP8
// widened exactly in shared memory, split-KV partials for attention_kernels.cu's merge. docs/CUDA.md has the design.
// Numerics as the SIMT kernel: fp32 scores and sums, P rounded to the activation dtype before P·V.
// Must not contain validation.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/attention_mma.h"
#include "backend/cuda/device_math.cuh"

namespace fovea::backend::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kTileKeys = 64;
constexpr int kMinKeysPerSplit = 256;
constexpr int kMaxSplits = 64;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// The kernel's compile-time shape: kHdp is head_dim rounded up to the tensor-core k step.
template <int kHdp, int kWarpsM, bool kFp8>
struct TileShape {
  static constexpr int kWarpsN = 4 / kWarpsM;
  static constexpr int kRows = 16 * kWarpsM;
  static constexpr int kKeysPerWarp = kTileKeys / kWarpsN;
  static constexpr int kStride = kHdp + 8;  // elements per shared row: 16 bytes of padding keep ldmatrix conflict-free
  static constexpr int kOStride = kHdp + 4;
  static constexpr size_t kTileBytes = static_cast<size_t>(kTileKeys) * kStride * 2;
  static constexpr size_t kQBytes = static_cast<size_t>(kRows) * kStride * 2;
  // Q is only read into registers before the key loop, so without FP8 it borrows the second K stage (whose first
  // copy starts after every warp has its fragments): 70 instead of 87 KB a bf16 prefill block at head_dim 128 (its
  // 229 registers still allow two blocks an SM; a cap at three blocks spilled and ran ~15% slower on the H200).
  // FP8 keeps a region of its own.
  static constexpr bool kQInKv = !kFp8 && kQBytes <= kTileBytes;
  static constexpr size_t kQOwnBytes = kQInKv ? 0 : kQBytes;
  // Two stages of K and V tiles, or one widened K/V pair plus two raw FP8 stages.
  static constexpr size_t kKvBytes = kFp8 ? 2 * kTileBytes + 4 * static_cast<size_t>(kTileKeys) * kHdp : 4 * kTileBytes;
  // After the key loop the K/V space holds each warp's O rows and (max, sum) for the merge.
  static constexpr size_t kMergeBytes = static_cast<size_t>(kWarpsN) * kRows * (kOStride + 2) * sizeof(float);
  static constexpr size_t kSmemBytes = kQOwnBytes + (kKvBytes > kMergeBytes ? kKvBytes : kMergeBytes);
};

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared without registers; valid == false fills zeros and reads nothing.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p))
               : "memory");
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p))
               : "memory");
}

template <typename T>
struct Mma;

template <>
struct Mma<__nv_bfloat16> {
  __device__ static void run(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  __device__ static uint32_t pack(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&v);
  }
  __device__ static uint16_t from_fp8(uint8_t bits) {
    const __nv_bfloat16 v = __float2bfloat16_rn(fp8_e4m3_to_float(bits));
    return *reinterpret_cast<const uint16_t*>(&v);
  }
};

template <>
struct Mma<__half> {
  __device__ static void run(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  __device__ static uint32_t pack(float lo, float hi) {
    const __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&v);
  }
  __device__ static uint16_t from_fp8(uint8_t bits) {
    const __half_raw raw = __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(bits), __NV_E4M3);
    return raw.x;
  }
};

// The cache block id of key `pos` (paged; 0 for segments), or -1 past key_end or the table. Its check against the
// cache size waits for the use, so that the load stays in flight meanwhile.
__device__ __forceinline__ int32_t key_block(const AttentionArgs& a, int seq, int pos, int key_end) {
  if (pos >= key_end) return -1;
  if (!a.paged) return 0;
  const int64_t table_col = pos / a.block_size;
  return table_col < a.table_width ? a.block_tables[seq * a.block_table_stride + table_col] : -1;
}

template <typename T, typename KT, int kHdp, int kWarpsM>
__global__ void __launch_bounds__(kThreads)
    attention_mma_kernel(AttentionArgs a, int num_splits, int keys_per_split, float* part_acc, float* part_ml) {
  constexpr bool kFp8 = sizeof(KT) == 1;
  using S = TileShape<kHdp, kWarpsM, kFp8>;
  constexpr int kRows = S::kRows;
  constexpr int kStride = S::kStride;
  constexpr int kNTiles = S::kKeysPerWarp / 8;  // n tiles of S per warp
  constexpr int kDTiles = kHdp / 8;             // n tiles of O
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int token_s[kRows];
  __shared__ int head_s[kRows];
  __shared__ int kv_len_s[kRows];

  unsigned char* kv_space = smem + S::kQOwnBytes;
  T* k_s[2];
  T* v_s[2];
  k_s[0] = reinterpret_cast<T*>(kv_space);
  v_s[0] = reinterpret_cast<T*>(kv_space + S::kTileBytes);
  k_s[1] = kFp8 ? k_s[0] : reinterpret_cast<T*>(kv_space + 2 * S::kTileBytes);
  v_s[1] = kFp8 ? v_s[0] : reinterpret_cast<T*>(kv_space + 3 * S::kTileBytes);
  // FP8 only: raw tiles [stage][K, V][kTileKeys][kHdp] bytes.
  uint8_t* raw_s = kv_space + 2 * S::kTileBytes;
  T* q_s = S::kQInKv ? k_s[1] : reinterpret_cast<T*>(smem);

  const int tid = threadIdx.x;
  const int lane = tid % 32;
  const int warp = tid / 32;
  const int warp_m = warp % kWarpsM;
  const int warp_n = warp / kWarpsM;
  const int seq = blockIdx.z;
  const int kv_head = blockIdx.y % a.num_kv_heads;
  const int split = blockIdx.y / a.num_kv_heads;
  const int group = a.num_heads / a.num_kv_heads;
  const int hd = a.head_dim;

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
  // The last row tiles see the most keys (causal): they start first.
  const int64_t row_begin = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kRows;
  if (q_len <= 0 || row_begin >= static_cast<int64_t>(q_len) * group) return;  // the same for the whole block

  if (tid < kRows) {
    const int64_t flat = row_begin + tid;
    const int64_t token_local = flat / group;
    const bool valid = token_local < q_len;
    token_s[tid] = valid ? q_begin + static_cast<int>(token_local) : -1;
    head_s[tid] = kv_head * group + static_cast<int>(flat % group);
    // Causal: query i of a chunk of q_len sits at seq_len - q_len + i and sees the keys up to it.
    kv_len_s[tid] = !valid ? 0 : (a.paged ? seq_len - q_len + static_cast<int>(token_local) + 1 : seq_len);
  }
  // Zero the padding columns (head_dim up to kHdp) of Q and of every K/V tile: loads never write them.
  const int chunks = hd / 8;  // 16-byte chunks of a row
  if (hd < kHdp) {
    const int pad_chunks = (kHdp - hd) / 8;
    const int num_tile_rows = 4 * kTileKeys;
    for (int idx = tid; idx < (kRows + num_tile_rows) * pad_chunks; idx += kThreads) {
      const int row = idx / pad_chunks;
      const int col = hd + (idx % pad_chunks) * 8;
      T* base = row < kRows ? q_s + row * kStride
                            : reinterpret_cast<T*>(kv_space) + static_cast<int64_t>(row - kRows) * kStride;
      if (kFp8 && row >= kRows + 2 * kTileKeys) continue;  // the raw stages sit there
      *reinterpret_cast<uint4*>(base + col) = make_uint4(0, 0, 0, 0);
    }
  }
  __syncthreads();
  int kv_end = 0;
  int min_len = 0x7fffffff;  // over the valid rows: tiles below it need no mask
  for (int r = 0; r < kRows; ++r) {
    kv_end = max(kv_end, kv_len_s[r]);
    if (token_s[r] >= 0) min_len = min(min_len, kv_len_s[r]);
  }
  int key_begin = 0;
  int key_end = kv_end;
  if (num_splits > 1) {
    key_begin = split * keys_per_split;
    key_end = split + 1 == num_splits ? kv_end : min(kv_end, key_begin + keys_per_split);
  }

  const T* q = static_cast<const T*>(a.q);
  for (int idx = tid; idx < kRows * chunks; idx += kThreads) {
    const int r = idx / chunks;
    const int c = idx % chunks;
    uint4 value = make_uint4(0, 0, 0, 0);
    if (token_s[r] >= 0) {
      value = *reinterpret_cast<const uint4*>(q + static_cast<int64_t>(token_s[r]) * a.q_token_stride +
                                              static_cast<int64_t>(head_s[r]) * hd + c * 8);
    }
    *reinterpret_cast<uint4*>(q_s + r * kStride + c * 8) = value;
  }

  const KT* k_base = static_cast<const KT*>(a.paged ? a.k_cache : a.k);
  const KT* v_base = static_cast<const KT*>(a.paged ? a.v_cache : a.v);
  // Two threads per key of a tile, each copying every other 16-byte chunk: one block-table read per tile, made a
  // tile ahead. A block id outside the cache is an engine bug: its keys read as zeros (as in the SIMT kernel).
  static_assert(kThreads == 2 * kTileKeys, "two threads per key");
  const int kv_chunks = kFp8 ? hd / 16 : chunks;
  const int my_key = tid / 2;
  auto load_tile = [&](int stage, int tile, int32_t block) {
    const int pos = tile + my_key;
    const bool ok = block >= 0 && (!a.paged || block < a.num_blocks);
    int64_t k_off = 0;
    int64_t v_off = 0;
    if (ok && a.paged) {
      const int64_t inner = (static_cast<int64_t>(pos % a.block_size) * a.num_kv_heads + kv_head) * hd;
      k_off = block * a.k_block_stride + inner;
      v_off = block * a.v_block_stride + inner;
    } else if (ok) {
      const int64_t token = static_cast<int64_t>(q_begin) + pos;
      k_off = token * a.k_token_stride + static_cast<int64_t>(kv_head) * hd;
      v_off = token * a.v_token_stride + static_cast<int64_t>(kv_head) * hd;
    }
    for (int c = tid % 2; c < kv_chunks; c += 2) {
      const int elem = c * (kFp8 ? 16 : 8);
      void* k_dst;
      void* v_dst;
      if constexpr (kFp8) {
        k_dst = raw_s + (static_cast<size_t>(stage) * 2 * kTileKeys + my_key) * kHdp + elem;
        v_dst = raw_s + (static_cast<size_t>(stage) * 2 * kTileKeys + kTileKeys + my_key) * kHdp + elem;
      } else {
        k_dst = k_s[stage] + my_key * kStride + elem;
        v_dst = v_s[stage] + my_key * kStride + elem;
      }
      cp_async16(k_dst, k_base + k_off + elem, ok);
      cp_async16(v_dst, v_base + v_off + elem, ok);
    }
  };

  const int num_tiles = key_end > key_begin ? (key_end - key_begin + kTileKeys - 1) / kTileKeys : 0;
  if (num_tiles > 0) load_tile(0, key_begin, key_block(a, seq, key_begin + my_key, key_end));
  cp_async_commit();
  int32_t next_block = key_block(a, seq, key_begin + kTileKeys + my_key, key_end);
  __syncthreads();  // Q in shared memory

  // This warp's 16 query rows as A fragments for every k step of head_dim.
  uint32_t q_frag[kHdp / 16][4];
  {
    const int row = warp_m * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
    for (int ks = 0; ks < kHdp / 16; ++ks) ldmatrix_x4(q_frag[ks], q_s + row * kStride + ks * 16 + (lane >> 4) * 8);
  }
  if (S::kQInKv) __syncthreads();  // every warp holds its Q fragments before stage 1's copies overwrite them

  const float k_scale = kFp8 ? a.k_scale : 1.0f;
  const float score_scale = a.scale * k_scale * kLog2e;  // scores in log2 units
  const int row0 = warp_m * 16 + lane / 4;
  const int lim0 = min(kv_len_s[row0], key_end);
  const int lim1 = min(kv_len_s[row0 + 8], key_end);
  float m_run[2] = {-INFINITY, -INFINITY};
  float l_run[2] = {0.0f, 0.0f};  // this thread's columns only; summed over the quad at the end
  float o[kDTiles][4];
#pragma unroll
  for (int i = 0; i < kDTiles; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;

  for (int t = 0; t < num_tiles; ++t) {
    const int tile = key_begin + t * kTileKeys;
    if (t + 1 < num_tiles) load_tile((t + 1) & 1, tile + kTileKeys, next_block);
    cp_async_commit();
    next_block = key_block(a, seq, tile + 2 * kTileKeys + my_key, key_end);
    cp_async_wait_one();
    __syncthreads();
    const int stage = kFp8 ? 0 : (t & 1);
    if constexpr (kFp8) {
      // Widen the raw stage into the K/V tiles (exact), 16 values per step.
      const uint8_t* raw = raw_s + static_cast<size_t>(t & 1) * 2 * kTileKeys * kHdp;
      for (int idx = tid; idx < 2 * kTileKeys * kv_chunks; idx += kThreads) {
        const int row = idx / kv_chunks;
        const int c = idx % kv_chunks;
        const uint4 bits = *reinterpret_cast<const uint4*>(raw + row * kHdp + c * 16);
        const uint8_t* b = reinterpret_cast<const uint8_t*>(&bits);
        uint32_t w[8];
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          w[i] = static_cast<uint32_t>(Mma<T>::from_fp8(b[2 * i])) |
                 (static_cast<uint32_t>(Mma<T>::from_fp8(b[2 * i + 1])) << 16);
        }
        T* dst = (row < kTileKeys ? k_s[0] + row * kStride : v_s[0] + (row - kTileKeys) * kStride) + c * 16;
        reinterpret_cast<uint4*>(dst)[0] = make_uint4(w[0], w[1], w[2], w[3]);
        reinterpret_cast<uint4*>(dst)[1] = make_uint4(w[4], w[5], w[6], w[7]);
      }
      __syncthreads();
    }
    const T* kt = k_s[stage];
    const T* vt = v_s[stage];
    const int key0 = warp_n * S::kKeysPerWarp;

    float s[kNTiles][4];
#pragma unroll
    for (int i = 0; i < kNTiles; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.0f;
#pragma unroll
    for (int ks = 0; ks < kHdp / 16; ++ks) {
#pragma unroll
      for (int np = 0; np < kNTiles / 2; ++np) {
        uint32_t b[4];
        const int key = key0 + np * 16 + (lane & 7) + (lane >> 4) * 8;
        ldmatrix_x4(b, kt + key * kStride + ks * 16 + ((lane >> 3) & 1) * 8);
        Mma<T>::run(s[2 * np], q_frag[ks], b[0], b[1]);
        Mma<T>::run(s[2 * np + 1], q_frag[ks], b[2], b[3]);
      }
    }

    // Online softmax for rows row0 (elements 0, 1) and row0 + 8 (elements 2, 3). Only the tiles that reach past a
    // valid row's last key mask (the rows without a token see zero queries and are never written).
    float tile_max[2] = {-INFINITY, -INFINITY};
    const bool need_mask = tile + kTileKeys > min(min_len, key_end);
#pragma unroll
    for (int i = 0; i < kNTiles; ++i) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int pos = tile + key0 + i * 8 + (lane % 4) * 2 + (e & 1);
        const bool ok = !need_mask || pos < (e < 2 ? lim0 : lim1);
        s[i][e] = ok ? s[i][e] * score_scale : -INFINITY;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], s[i][e]);
      }
    }
    float alpha[2];
    float m_use[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 1));
      tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 2));
      const float m_new = fmaxf(m_run[h], tile_max[h]);
      alpha[h] = m_run[h] == -INFINITY ? 0.0f : exp2f(m_run[h] - m_new);
      m_use[h] = m_new == -INFINITY ? 0.0f : m_new;  // a fully masked row keeps p = 0
      m_run[h] = m_new;
      l_run[h] *= alpha[h];
    }
#pragma unroll
    for (int i = 0; i < kDTiles; ++i) {
      o[i][0] *= alpha[0];
      o[i][1] *= alpha[0];
      o[i][2] *= alpha[1];
      o[i][3] *= alpha[1];
    }
#pragma unroll
    for (int i = 0; i < kNTiles; ++i) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[i][e] = exp2f(s[i][e] - m_use[e / 2]);
        l_run[e / 2] += s[i][e];
      }
    }

    // O += P · V: P from the score fragments (rounded to T), V through transposing loads.
#pragma unroll
    for (int kk = 0; kk < kNTiles / 2; ++kk) {
      uint32_t p_frag[4];
      p_frag[0] = Mma<T>::pack(s[2 * kk][0], s[2 * kk][1]);
      p_frag[1] = Mma<T>::pack(s[2 * kk][2], s[2 * kk][3]);
      p_frag[2] = Mma<T>::pack(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      p_frag[3] = Mma<T>::pack(s[2 * kk + 1][2], s[2 * kk + 1][3]);
      const int key = key0 + kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int dp = 0; dp < kDTiles / 2; ++dp) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, vt + key * kStride + dp * 16 + (lane >> 4) * 8);
        Mma<T>::run(o[2 * dp], p_frag, b[0], b[1]);
        Mma<T>::run(o[2 * dp + 1], p_frag, b[2], b[3]);
      }
    }
    __syncthreads();  // the stage is consumed before the next iteration's copies overwrite it
  }

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    l_run[h] += __shfl_xor_sync(0xffffffffu, l_run[h], 1);
    l_run[h] += __shfl_xor_sync(0xffffffffu, l_run[h], 2);
  }
  const float v_scale = kFp8 ? a.v_scale : 1.0f;
  // One warp per row group (prefill): each thread writes its own O columns straight from the accumulators, in
  // pairs (the shared-memory merge below would multiply them by exp2(0) = 1 and add them to 0: the same values).
  const bool pair_stores = (reinterpret_cast<uintptr_t>(a.out) & 3u) == 0 && a.out_token_stride % 2 == 0;
  if (S::kWarpsN == 1 && pair_stores) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = row0 + 8 * h;
      if (token_s[r] < 0) continue;
      const int64_t token = token_s[r];
      const int64_t head = head_s[r];
      const float weight = m_run[h] == -INFINITY ? 0.0f : 1.0f;
      const float l_sum = 0.0f + weight * l_run[h];
      if (num_splits == 1) {
        T* out = static_cast<T*>(a.out) + token * a.out_token_stride + head * hd;
#pragma unroll
        for (int i = 0; i < kDTiles; ++i) {
          const int col = i * 8 + (lane % 4) * 2;
          if (col >= hd) continue;
          const float lo = 0.0f + weight * o[i][2 * h];
          const float hi = 0.0f + weight * o[i][2 * h + 1];
          *reinterpret_cast<uint32_t*>(out + col) =
              Mma<T>::pack(l_sum > 0.0f ? lo / l_sum * v_scale : 0.0f, l_sum > 0.0f ? hi / l_sum * v_scale : 0.0f);
        }
      } else {
        const int64_t th = (static_cast<int64_t>(split) * a.num_tokens + token) * a.num_heads + head;
#pragma unroll
        for (int i = 0; i < kDTiles; ++i) {
          const int col = i * 8 + (lane % 4) * 2;
          if (col >= hd) continue;
          part_acc[th * hd + col] = (0.0f + weight * o[i][2 * h]) * v_scale;
          part_acc[th * hd + col + 1] = (0.0f + weight * o[i][2 * h + 1]) * v_scale;
        }
        if (lane % 4 == 0) {
          // The merge kernel works in natural-log units.
          part_ml[th * 2] = m_run[h] == -INFINITY ? -INFINITY : m_run[h] * kLn2;
          part_ml[th * 2 + 1] = l_sum;
        }
      }
    }
    return;
  }

  // Merge: every warp's O rows and (max, sum) into shared memory, then the block writes each row once.
  float* o_s = reinterpret_cast<float*>(kv_space);                           // [kWarpsN][kRows][kOStride]
  float* m_s = o_s + static_cast<size_t>(S::kWarpsN) * kRows * S::kOStride;  // [kWarpsN][kRows]
  float* l_s = m_s + S::kWarpsN * kRows;                                     // [kWarpsN][kRows]
  {
    float* rows = o_s + (static_cast<size_t>(warp_n) * kRows + row0) * S::kOStride;
#pragma unroll
    for (int i = 0; i < kDTiles; ++i) {
      const int col = i * 8 + (lane % 4) * 2;
      *reinterpret_cast<float2*>(rows + col) = make_float2(o[i][0], o[i][1]);
      *reinterpret_cast<float2*>(rows + 8 * S::kOStride + col) = make_float2(o[i][2], o[i][3]);
    }
    if (lane % 4 == 0) {
      m_s[warp_n * kRows + row0] = m_run[0];
      m_s[warp_n * kRows + row0 + 8] = m_run[1];
      l_s[warp_n * kRows + row0] = l_run[0];
      l_s[warp_n * kRows + row0 + 8] = l_run[1];
    }
  }
  __syncthreads();
  for (int idx = tid; idx < kRows * hd; idx += kThreads) {
    const int r = idx / hd;
    const int d = idx % hd;
    if (token_s[r] < 0) continue;
    float m_max = -INFINITY;
#pragma unroll
    for (int w = 0; w < S::kWarpsN; ++w) m_max = fmaxf(m_max, m_s[w * kRows + r]);
    float l_sum = 0.0f;
    float o_sum = 0.0f;
#pragma unroll
    for (int w = 0; w < S::kWarpsN; ++w) {
      const float m = m_s[w * kRows + r];
      const float weight = m == -INFINITY ? 0.0f : exp2f(m - m_max);
      l_sum += weight * l_s[w * kRows + r];
      o_sum += weight * o_s[(static_cast<size_t>(w) * kRows + r) * S::kOStride + d];
    }
    const int64_t token = token_s[r];
    const int64_t head = head_s[r];
    if (num_splits == 1) {
      T* out = static_cast<T*>(a.out) + token * a.out_token_stride + head * hd;
      Elem<T>::store(out + d, l_sum > 0.0f ? o_sum / l_sum * v_scale : 0.0f);
    } else {
      const int64_t th = (static_cast<int64_t>(split) * a.num_tokens + token) * a.num_heads + head;
      part_acc[th * hd + d] = o_sum * v_scale;
      if (d == 0) {
        // The merge kernel works in natural-log units.
        part_ml[th * 2] = m_max == -INFINITY ? -INFINITY : m_max * kLn2;
        part_ml[th * 2 + 1] = l_sum;
      }
    }
  }
}

using MmaKernel = void (*)(AttentionArgs, int, int, float*, float*);

int hd_padded(int head_dim) { return head_dim <= 64 ? 64 : (head_dim <= 80 ? 80 : 128); }

// 1 warp row group for decodes (the query rows of a block fit 16), 4 otherwise.
int warps_m(const AttentionArgs& a) {
  const int64_t rows = static_cast<int64_t>(a.max_query_len) * (a.num_heads / a.num_kv_heads);
  return rows <= 16 ? 1 : 4;
}

int64_t row_tiles(const AttentionArgs& a) {
  const int64_t rows = static_cast<int64_t>(a.max_query_len) * (a.num_heads / a.num_kv_heads);
  const int rows_per_block = 16 * warps_m(a);
  return (rows + rows_per_block - 1) / rows_per_block;
}

template <typename T, typename KT, int kHdp>
MmaKernel pick_warps(int wm, size_t* smem) {
  constexpr bool kFp8 = sizeof(KT) == 1;
  if (wm == 1) {
    *smem = TileShape<kHdp, 1, kFp8>::kSmemBytes;
    return attention_mma_kernel<T, KT, kHdp, 1>;
  }
  *smem = TileShape<kHdp, 4, kFp8>::kSmemBytes;
  return attention_mma_kernel<T, KT, kHdp, 4>;
}

template <typename T, typename KT>
MmaKernel pick_hd(int hdp, int wm, size_t* smem) {
  if (hdp == 64) return pick_warps<T, KT, 64>(wm, smem);
  if (hdp == 80) return pick_warps<T, KT, 80>(wm, smem);
  return pick_warps<T, KT, 128>(wm, smem);
}

MmaKernel pick_kernel(const AttentionArgs& a, size_t* smem) {
  const int hdp = hd_padded(a.head_dim);
  const int wm = warps_m(a);
  const bool fp8 = a.kv_type == ElemType::kF8E4M3;
  if (a.act_type == ElemType::kBF16) {
    return fp8 ? pick_hd<__nv_bfloat16, uint8_t>(hdp, wm, smem) : pick_hd<__nv_bfloat16, __nv_bfloat16>(hdp, wm, smem);
  }
  return fp8 ? pick_hd<__half, uint8_t>(hdp, wm, smem) : pick_hd<__half, __half>(hdp, wm, smem);
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace

bool attention_mma_applies(const AttentionArgs& a) {
  if (a.act_type != ElemType::kBF16 && a.act_type != ElemType::kF16) return false;
  const bool fp8 = a.paged && a.kv_type == ElemType::kF8E4M3;
  if (a.kv_type != a.act_type && !fp8) return false;
  if (a.num_kv_heads <= 0 || a.num_heads % a.num_kv_heads != 0) return false;
  if (a.head_dim <= 0 || a.head_dim > 128 || a.head_dim % (fp8 ? 16 : 8) != 0) return false;
  // Rows are read in 16-byte pieces: every row start must be 16-byte aligned (8 elements, 16 for FP8).
  const int64_t kv_align = fp8 ? 16 : 8;
  if (!aligned16(a.q) || a.q_token_stride % 8 != 0) return false;
  if (a.paged) {
    return aligned16(a.k_cache) && aligned16(a.v_cache) && a.k_block_stride % kv_align == 0 &&
           a.v_block_stride % kv_align == 0 && a.block_size > 0;
  }
  return aligned16(a.k) && aligned16(a.v) && a.k_token_stride % 8 == 0 && a.v_token_stride % 8 == 0;
}

int attention_mma_num_splits(const AttentionArgs& a, int num_sms) {
  if (!a.paged) return 1;
  const int64_t base_blocks = static_cast<int64_t>(a.num_seqs) * a.num_kv_heads * row_tiles(a);
  // Decode blocks are short and memory-bound: several waves balance them. Prefill blocks split only when too few
  // to cover the SMs (the merge rereads every row's partial sums).
  const int64_t target = (warps_m(a) == 1 ? 8 : 1) * static_cast<int64_t>(num_sms);
  if (base_blocks == 0 || base_blocks >= target || a.max_seq_len < 2 * kMinKeysPerSplit) return 1;
  int64_t splits = (target + base_blocks - 1) / base_blocks;
  const int64_t by_length = a.max_seq_len / kMinKeysPerSplit;
  if (splits > by_length) splits = by_length;
  if (splits > kMaxSplits) splits = kMaxSplits;
  return splits < 1 ? 1 : static_cast<int>(splits);
}

cudaError_t launch_attention_mma(const AttentionArgs& a, int num_splits, float* part_acc, float* part_ml,
                                 cudaStream_t stream) {
  const int64_t tiles = row_tiles(a);
  if (tiles == 0) return cudaSuccess;
  const int64_t grid_y = static_cast<int64_t>(a.num_kv_heads) * num_splits;
  if (tiles > 0x7fffffff || grid_y > 65535 || a.num_seqs > 65535) return cudaErrorInvalidConfiguration;
  size_t smem = 0;
  const MmaKernel kernel = pick_kernel(a, &smem);
  const cudaError_t error =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (error != cudaSuccess) return error;
  // Split boundaries on whole key tiles.
  const int per_split = (a.max_seq_len + num_splits - 1) / num_splits;
  const int keys_per_split = (per_split + kTileKeys - 1) / kTileKeys * kTileKeys;
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(grid_y), static_cast<unsigned>(a.num_seqs));
  kernel<<<grid, kThreads, smem, stream>>>(a, num_splits, keys_per_split, part_acc, part_ml);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
