// int4 W4A16 kernels on tensor cores (mma.sync m16n8k16 bf16, sm_80+, nothing sm_90-only). The weight is the A
// operand (16 output rows a fragment) and x the B operand (8 tokens a fragment), so decode batches of 1..64 rows
// waste no tensor-core rows on padding tokens beyond the next multiple of 8. A thread's 16-byte load of one weight
// row gives 32 packed columns; their order inside a k16 step is free (a dot product), so each nibble pair (j, j+4)
// of a word becomes one bf16x2 register with the exponent trick, and x is first written in that same permuted
// fragment order (a small kernel), then staged in shared memory with cp.async, double-buffered. Dequantisation is the
// CPU's bit for bit: (128 + u) - (128 + z) is exact in bf16 and the bf16 product with a bf16-exact scale rounds once;
// other scales and zero points take the element formula. Must not contain validation or scratch management.
#include <cuda_bf16.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/int4_mma_kernels.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kThreads = 128;  // 4 warps, each owning RT row fragments of 16 rows over the block's k range
constexpr int kWarps = kThreads / 32;
constexpr int kBufferUint4 = 1024;  // 16 KiB of staged x fragments per buffer (two buffers: copy while computing)

template <int NF>
constexpr int kRowFragments = NF <= 2 ? 1 : 2;  // RT: more row fragments reuse each staged x fragment more

template <int NF>
constexpr int kStages = NF <= 2 ? 4 : 2;  // k tiles of codes in flight per warp (registers)

__device__ __forceinline__ uint32_t bf16x2_bits(__nv_bfloat162 value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

__device__ __forceinline__ __nv_bfloat162 bf16x2_of(uint32_t bits) {
  __nv_bfloat162 value;
  memcpy(&value, &bits, sizeof(bits));
  return value;
}

__device__ __forceinline__ void mma_bf16(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void cp_async16(void* shared, const void* global) {
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(address), "l"(global));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }

// How one (row, group) dequantises: the packed bf16x2 path when it rounds exactly like the element formula.
struct GroupParams {
  float scale = 0.0f;
  int zero = 8;
};

// (v & 0x000f000f) | 0x43004300 in one LOP3: the constants as register operands (the compiler otherwise splits the
// two immediates into an AND and an OR, one extra instruction per nibble pair). Gives bf16x2 (128 + u_lo, 128 + u_hi).
__device__ __forceinline__ uint32_t nibbles_biased(uint32_t v) {
  uint32_t out;
  asm("lop3.b32 %0, %1, %2, %3, 0xea;\n" : "=r"(out) : "r"(v), "r"(0x000f000fu), "r"(0x43004300u));
  return out;
}

// Whether (scale, zero) dequantises exactly with the bf16x2 path: the scale is exact in bf16 and 128 + zero too.
__device__ __forceinline__ bool fast_dequant(const GroupParams& p) {
  return __bfloat162float(__float2bfloat16_rn(p.scale)) == p.scale && p.zero <= 128;
}

// Nibble pairs (j, j + 4), j = 0..3, of one word as bf16x2 registers: out[j] = (w[j], w[j + 4]) with
// w[i] = round_bf16((u_i - zero) * scale). Fast path: (128 + u) - (128 + zero) is exact in bf16 and the bf16
// product rounds once, given offset2 = bf16x2(128 + zero) and scale2 = bf16x2(scale) of a fast_dequant group.
__device__ __forceinline__ void dequantize_word_fast(uint32_t word, __nv_bfloat162 offset2, __nv_bfloat162 scale2,
                                                     uint32_t (&out)[4]) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    out[j] = bf16x2_bits(__hmul2(__hsub2(bf16x2_of(nibbles_biased(word >> (4 * j))), offset2), scale2));
  }
}

// The element formula, for any scale and zero point.
__device__ __forceinline__ void dequantize_word_exact(uint32_t word, const GroupParams& p, uint32_t (&out)[4]) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int low = static_cast<int>((word >> (4 * j)) & 0xfu) - p.zero;
    const int high = static_cast<int>((word >> (4 * j + 16)) & 0xfu) - p.zero;
    out[j] = bf16x2_bits(__floats2bfloat162_rn(__fmul_rn(static_cast<float>(low), p.scale),
                                               __fmul_rn(static_cast<float>(high), p.scale)));
  }
}

__device__ __forceinline__ void dequantize_word(uint32_t word, const GroupParams& p, uint32_t (&out)[4]) {
  if (fast_dequant(p)) {
    dequantize_word_fast(word, __float2bfloat162_rn(128.0f + static_cast<float>(p.zero)), __float2bfloat162_rn(p.scale),
                         out);
  } else {
    dequantize_word_exact(word, p, out);
  }
}

// Eight bf16 x values x0..x7 (four words) reordered to the weight's nibble pairs: (x0,x4) (x1,x5) (x2,x6) (x3,x7).
__device__ __forceinline__ uint4 pair_nibble_order(uint4 v) {
  uint4 out;
  out.x = __byte_perm(v.x, v.z, 0x5410);
  out.y = __byte_perm(v.x, v.z, 0x7632);
  out.z = __byte_perm(v.y, v.w, 0x5410);
  out.w = __byte_perm(v.y, v.w, 0x7632);
  return out;
}

// The codes, scales and zero points of one k tile of a warp's rows: [RT][2] = (row fragment, row g / g + 8).
template <int RT>
struct TileCodes {
  uint4 codes[RT][2];
  GroupParams params[RT][2];
};

// A thread's read position in its rows, advanced one k tile per load (tiles are loaded in order): pointer steps and
// a running in-group counter instead of per-tile 64-bit index arithmetic and a division by tiles_per_group. All
// pointers are loop-carried, so the compiler cannot trade them for a per-tile recomputation from the row index.
template <int RT>
struct TileCursor {
  const uint4* codes[RT][2];    // this thread's 16 bytes of the next k tile
  const float* scales[RT][2];   // the scale of the next k tile's group
  const uint8_t* zeros[RT][2];  // its zero point; without zero points a valid dummy address that is never read
  bool has_zeros = false;
  int tile_in_group = 0;  // index of the next k tile inside its group
  int tiles_per_group = 1;
};

// rows[rt][h]: the weight rows of (row fragment rt, lane row g + 8h), already clamped into the weight.
template <int RT>
__device__ __forceinline__ void init_cursor(const Int4MmaArgs& a, const int64_t (&rows)[RT][2], int t, int first_tile,
                                            TileCursor<RT>& c) {
  c.tiles_per_group = static_cast<int>(a.tiles_per_group);
  c.has_zeros = a.zeros != nullptr;
  const int group = first_tile / c.tiles_per_group;
  c.tile_in_group = first_tile % c.tiles_per_group;
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t row = rows[rt][h];
      c.codes[rt][h] = reinterpret_cast<const uint4*>(a.codes + row * a.code_stride_words) + first_tile * 4 + t;
      c.scales[rt][h] = a.scales + row * a.scale_stride + group;
      c.zeros[rt][h] =
          c.has_zeros ? a.zeros + row * a.zero_stride + group : reinterpret_cast<const uint8_t*>(c.scales[rt][h]);
    }
  }
}

// Loads the cursor's k tile and moves it to the next.
template <int RT>
__device__ __forceinline__ void load_next_tile(TileCursor<RT>& c, TileCodes<RT>& out) {
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      out.codes[rt][h] = __ldg(c.codes[rt][h]);
      out.params[rt][h].scale = __ldg(c.scales[rt][h]);
      out.params[rt][h].zero = c.has_zeros ? static_cast<int>(__ldg(c.zeros[rt][h])) : 8;
      c.codes[rt][h] += 4;
    }
  }
  if (++c.tile_in_group == c.tiles_per_group) {
    c.tile_in_group = 0;
#pragma unroll
    for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        ++c.scales[rt][h];
        ++c.zeros[rt][h];
      }
    }
  }
}

__device__ __forceinline__ uint32_t word_of(const uint4& v, int idx) {
  return idx == 0 ? v.x : idx == 1 ? v.y : idx == 2 ? v.z : v.w;
}

// The mma work of one k tile: 4 words per thread, each two k16 steps; x_of(w, f) gives the B fragment of word w and
// token fragment f. The fast-path test and the bf16x2 constants are made once per tile, and the choice is one
// warp-uniform branch (every lane of the warp runs the same tile), so the per-word loop has no branch.
template <int NF, int RT, typename XOf>
__device__ __forceinline__ void mma_tile(const TileCodes<RT>& tile, XOf x_of, float (&acc)[RT][NF][4]) {
  bool fast = true;
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) fast = fast && fast_dequant(tile.params[rt][0]) && fast_dequant(tile.params[rt][1]);
  if (__all_sync(0xffffffffu, fast)) {
    __nv_bfloat162 offset2[RT][2];
    __nv_bfloat162 scale2[RT][2];
#pragma unroll
    for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        offset2[rt][h] = __float2bfloat162_rn(128.0f + static_cast<float>(tile.params[rt][h].zero));
        scale2[rt][h] = __float2bfloat162_rn(tile.params[rt][h].scale);
      }
    }
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      uint4 xb[NF];
#pragma unroll
      for (int f = 0; f < NF; ++f) xb[f] = x_of(w, f);
#pragma unroll
      for (int rt = 0; rt < RT; ++rt) {
        uint32_t top[4];
        uint32_t bottom[4];
        dequantize_word_fast(word_of(tile.codes[rt][0], w), offset2[rt][0], scale2[rt][0], top);
        dequantize_word_fast(word_of(tile.codes[rt][1], w), offset2[rt][1], scale2[rt][1], bottom);
#pragma unroll
        for (int f = 0; f < NF; ++f) {
          mma_bf16(acc[rt][f], top[0], bottom[0], top[1], bottom[1], xb[f].x, xb[f].y);
          mma_bf16(acc[rt][f], top[2], bottom[2], top[3], bottom[3], xb[f].z, xb[f].w);
        }
      }
    }
    return;
  }
#pragma unroll
  for (int w = 0; w < 4; ++w) {
    uint4 xb[NF];
#pragma unroll
    for (int f = 0; f < NF; ++f) xb[f] = x_of(w, f);
#pragma unroll
    for (int rt = 0; rt < RT; ++rt) {
      uint32_t top[4];
      uint32_t bottom[4];
      dequantize_word(word_of(tile.codes[rt][0], w), tile.params[rt][0], top);
      dequantize_word(word_of(tile.codes[rt][1], w), tile.params[rt][1], bottom);
#pragma unroll
      for (int f = 0; f < NF; ++f) {
        mma_bf16(acc[rt][f], top[0], bottom[0], top[1], bottom[1], xb[f].x, xb[f].y);
        mma_bf16(acc[rt][f], top[2], bottom[2], top[3], bottom[3], xb[f].z, xb[f].w);
      }
    }
  }
}

// The mma work of one k tile against the staged x of local tile `local`.
template <int NF, int RT>
__device__ __forceinline__ void compute_tile(const TileCodes<RT>& tile, const uint4* x_staged, int local, int lane,
                                             float (&acc)[RT][NF][4]) {
  mma_tile<NF, RT>(
      tile, [&](int w, int f) { return x_staged[((local * 4 + w) * NF + f) * 32 + lane]; }, acc);
}

// The prologue both decode kernels share, for k tiles [tile_begin, tile_end) of the 16 * RT weight rows from
// first_row: zeroed accumulators, the cursor at tile_begin and the first S tiles of codes in flight. Rows past the
// weight are clamped into it (their results are not stored).
template <int NF, int RT, int S>
__device__ __forceinline__ void start_k_range(const Int4MmaArgs& a, int64_t first_row, int lane, int tile_begin,
                                              int tile_end, float (&acc)[RT][NF][4], TileCodes<RT> (&stages)[S],
                                              TileCursor<RT>& cursor) {
  const int g = lane / 4;
  const int t = lane % 4;
  int64_t rows[RT][2];
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t row = first_row + 16 * rt + g + 8 * h;
      rows[rt][h] = row < a.n ? row : a.n - 1;
    }
  }
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int f = 0; f < NF; ++f) {
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[rt][f][i] = 0.0f;
    }
  }
  init_cursor<RT>(a, rows, t, tile_begin, cursor);
#pragma unroll
  for (int s = 0; s < S; ++s) {
    if (tile_begin + s < tile_end) load_next_tile<RT>(cursor, stages[s]);
  }
}

// y[token, row] = sum (+ bias) in fp32, then one rounding to bf16, or none into an f32 y (a uniform branch).
__device__ __forceinline__ void store_output(const Int4MmaArgs& a, int64_t token, int64_t row, float sum) {
  const float value = a.bias != nullptr ? __fadd_rn(sum, load_elem(a.bias, row, a.bias_type)) : sum;
  if (a.y_type == ElemType::kF32) {
    static_cast<float*>(a.y)[token * a.y_stride + row] = value;
  } else {
    static_cast<__nv_bfloat16*>(a.y)[token * a.y_stride + row] = __float2bfloat16_rn(value);
  }
}

// x in mma B-fragment order, zeros for tokens >= m: entry ((tile * 4 + w) * nf + f) * 32 + lane holds token
// 8f + lane / 4, columns tile * 128 + 32 (lane % 4) + 8w .. + 7 in the weight's nibble-pair order. The main kernel
// then stages it with plain 16-byte asynchronous copies (no registers, no latency chain before the mma work).
__global__ void int4_x_fragments_kernel(Int4MmaArgs a, int nf) {
  const auto* x = static_cast<const __nv_bfloat16*>(a.x);
  const int total = static_cast<int>(a.num_tiles) * 128 * nf;  // K * nf, far under 2^31
  for (int idx = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); idx < total;
       idx += static_cast<int>(gridDim.x * blockDim.x)) {
    const int lane = idx % 32;
    const int f = (idx / 32) % nf;
    const int w = (idx / (32 * nf)) % 4;
    const int tile = idx / (128 * nf);
    const int token = 8 * f + lane / 4;
    uint4 value = make_uint4(0u, 0u, 0u, 0u);
    if (token < a.m) {
      const int col = tile * static_cast<int>(kInt4MmaTileK) + 32 * (lane % 4) + 8 * w;
      value = pair_nibble_order(__ldg(reinterpret_cast<const uint4*>(x + token * a.x_stride + col)));
    }
    a.x_fragments[idx] = value;
  }
}

template <int NF>
__global__ void __launch_bounds__(kThreads) int4_mma_kernel(Int4MmaArgs a) {
  constexpr int RT = kRowFragments<NF>;
  constexpr int S = kStages<NF>;
  constexpr int kChunkTiles = kBufferUint4 / (128 * NF);
  __shared__ uint4 x_staged[2 * kBufferUint4];
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int warp = static_cast<int>(threadIdx.x / 32);
  const int g = lane / 4;
  const int t = lane % 4;
  const int64_t warp_row = static_cast<int64_t>(blockIdx.x) * (kWarps * RT * 16) + warp * RT * 16;
  const int num_tiles = static_cast<int>(a.num_tiles);
  const int tile_begin = static_cast<int>(blockIdx.y) * static_cast<int>(a.tiles_per_split);
  const int tile_end = tile_begin + static_cast<int>(a.tiles_per_split) < num_tiles
                           ? tile_begin + static_cast<int>(a.tiles_per_split)
                           : num_tiles;
  float acc[RT][NF][4];
  TileCodes<RT> stages[S];
  TileCursor<RT> cursor;
  start_k_range<NF, RT, S>(a, warp_row, lane, tile_begin, tile_end, acc, stages, cursor);
  // x chunks of kChunkTiles k tiles, double-buffered: chunk c + 1 is copied while chunk c is multiplied.
  const auto issue_chunk = [&](int first_tile, int buffer) {
    const int left = tile_end - first_tile;
    const int count = (left < kChunkTiles ? left : kChunkTiles) * 128 * NF;
    const uint4* source = a.x_fragments + first_tile * 128 * NF;
    uint4* target = x_staged + buffer * kBufferUint4;
    for (int idx = static_cast<int>(threadIdx.x); idx < count; idx += kThreads) cp_async16(target + idx, source + idx);
    cp_async_commit();
  };
  issue_chunk(tile_begin, 0);
  int buffer = 1;  // the buffer of the chunk being multiplied; flips to 0 at the first chunk
  int chunk_begin = tile_begin;
  for (int tile = tile_begin; tile < tile_end; tile += S) {
#pragma unroll
    for (int s = 0; s < S; ++s) {
      const int current = tile + s;
      if (current >= tile_end) break;
      if (current - chunk_begin == kChunkTiles || current == tile_begin) {  // uniform over the block
        chunk_begin = current;
        buffer ^= 1;
        cp_async_wait_all();  // this thread's copies of this chunk (the only ones in flight) landed
        __syncthreads();      // everyone's landed, and every warp is done with the other buffer
        if (current + kChunkTiles < tile_end) issue_chunk(current + kChunkTiles, buffer ^ 1);
      }
      compute_tile<NF, RT>(stages[s], x_staged + buffer * kBufferUint4, current - chunk_begin, lane, acc);
      if (current + S < tile_end) load_next_tile<RT>(cursor, stages[s]);
    }
  }
  // acc[rt][f] = (row g, tokens 2t, 2t + 1), (row g + 8, tokens 2t, 2t + 1) of fragment (rt, f).
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int f = 0; f < NF; ++f) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t row = warp_row + 16 * rt + g + 8 * (i / 2);
        const int token = 8 * f + 2 * t + i % 2;
        if (row >= a.n || token >= a.m) continue;
        const float total = acc[rt][f][i];
        if (a.num_splits > 1) {
          a.partial[(static_cast<int64_t>(blockIdx.y) * a.m + token) * a.n + row] = total;
        } else {
          store_output(a, token, row, total);
        }
      }
    }
  }
}

// y[m, n] = sum over splits (in split order) of partial[s, m, n] (+ bias) in fp32, one rounding to y_type.
__global__ void int4_mma_reduce_kernel(Int4MmaArgs a) {
  const int64_t total = a.m * a.n;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t token = idx / a.n;
    const int64_t row = idx % a.n;
    float value = 0.0f;
    for (int split = 0; split < a.num_splits; ++split) value += a.partial[(split * a.m + token) * a.n + row];
    store_output(a, token, row, value);
  }
}

// Decode kernel (m <= 16): k tiles of codes in flight per warp, held in registers (more spill at 2 token fragments).
template <int NF>
constexpr int kStreamStages = NF == 1 ? 8 : 4;

// Lane (g, t)'s x for one k tile, raw: token 8f + g, columns tile * 128 + 32t .. + 31 (zeros for tokens >= m). The
// nibble-pair permutation is applied where the values are used, so that the loads stay in flight until then.
template <int NF>
__device__ __forceinline__ void load_x_tile(const Int4MmaArgs& a, int g, int t, int tile, uint4 (&out)[NF][4]) {
  const auto* x = static_cast<const __nv_bfloat16*>(a.x);
#pragma unroll
  for (int f = 0; f < NF; ++f) {
    const int token = 8 * f + g;
    const uint4* source = reinterpret_cast<const uint4*>(x + token * a.x_stride + tile * kInt4MmaTileK + 32 * t);
#pragma unroll
    for (int w = 0; w < 4; ++w) out[f][w] = token < a.m ? __ldg(source + w) : make_uint4(0u, 0u, 0u, 0u);
  }
}

// The mma work of one k tile with x in registers (the same fragment order as compute_tile's staged x).
template <int NF, int RT>
__device__ __forceinline__ void compute_tile_direct(const TileCodes<RT>& tile, const uint4 (&x)[NF][4],
                                                    float (&acc)[RT][NF][4]) {
  mma_tile<NF, RT>(
      tile, [&](int w, int f) { return pair_nibble_order(x[f][w]); }, acc);
}

// Block: 16 weight rows, K split between its warps in contiguous runs of k tiles. Each warp keeps
// kStreamStages tiles of codes in flight and the next tile's x; one barrier after the loop, then the block adds the
// warps' sums in warp order. Dynamic shared memory: warps * NF * 128 floats.
template <int NF>
__global__ void __launch_bounds__(kInt4StreamMaxWarps * 32) int4_stream_kernel(Int4MmaArgs a) {
  constexpr int RT = 1;  // one row fragment a block (32 rows a block measured slower: fewer blocks, more registers)
  constexpr int S = kStreamStages<NF>;
  constexpr int kValues = RT * NF * 4 * 32;  // accumulator floats per warp
  extern __shared__ float warp_sums[];       // [warps][kValues]
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int warp = static_cast<int>(threadIdx.x / 32);
  const int num_warps = static_cast<int>(blockDim.x / 32);
  const int g = lane / 4;
  const int t = lane % 4;
  const int64_t block_row = static_cast<int64_t>(blockIdx.x) * (RT * 16);
  const int num_tiles = static_cast<int>(a.num_tiles);
  const int per_warp = (num_tiles + num_warps - 1) / num_warps;
  const int tile_begin = warp * per_warp < num_tiles ? warp * per_warp : num_tiles;
  const int tile_end = tile_begin + per_warp < num_tiles ? tile_begin + per_warp : num_tiles;
  float acc[RT][NF][4];
  TileCodes<RT> stages[S];
  TileCursor<RT> cursor;
  start_k_range<NF, RT, S>(a, block_row, lane, tile_begin, tile_end, acc, stages, cursor);
  uint4 x_now[NF][4];
  if (tile_begin < tile_end) load_x_tile<NF>(a, g, t, tile_begin, x_now);
  for (int tile = tile_begin; tile < tile_end; tile += S) {
#pragma unroll
    for (int s = 0; s < S; ++s) {
      const int current = tile + s;
      if (current >= tile_end) break;
      uint4 x_next[NF][4];  // the last tile reloads its own x (an L1 hit) rather than branch around the copy below
      load_x_tile<NF>(a, g, t, current + 1 < tile_end ? current + 1 : current, x_next);
      compute_tile_direct<NF, RT>(stages[s], x_now, acc);
      if (current + S < tile_end) load_next_tile<RT>(cursor, stages[s]);
#pragma unroll
      for (int f = 0; f < NF; ++f) {
#pragma unroll
        for (int w = 0; w < 4; ++w) x_now[f][w] = x_next[f][w];
      }
    }
  }
  float* mine = warp_sums + warp * kValues;
#pragma unroll
  for (int rt = 0; rt < RT; ++rt) {
#pragma unroll
    for (int f = 0; f < NF; ++f) {
#pragma unroll
      for (int i = 0; i < 4; ++i) mine[((rt * NF + f) * 4 + i) * 32 + lane] = acc[rt][f][i];
    }
  }
  __syncthreads();
  // acc[rt][f][i] of lane l = (row 16 rt + l / 4 + 8 (i / 2), token 8f + 2 (l % 4) + i % 2).
  for (int idx = static_cast<int>(threadIdx.x); idx < kValues; idx += static_cast<int>(blockDim.x)) {
    const int value_lane = idx % 32;
    const int i = (idx / 32) % 4;
    const int f = (idx / 128) % NF;
    const int rt = idx / (128 * NF);
    const int64_t row = block_row + 16 * rt + value_lane / 4 + 8 * (i / 2);
    const int token = 8 * f + 2 * (value_lane % 4) + i % 2;
    if (row >= a.n || token >= a.m) continue;
    float total = 0.0f;
    for (int w = 0; w < num_warps; ++w) total += warp_sums[w * kValues + idx];
    store_output(a, token, row, total);
  }
}

template <int NF>
size_t stream_shared_bytes(int warps) {
  return static_cast<size_t>(warps) * NF * 4 * 32 * sizeof(float);
}

// Resident blocks per multiprocessor of int4_stream_kernel<NF> at 1, 2, 4 and 8 warps, asked once per process
// (every card of a process is the same model).
template <int NF>
int stream_blocks_per_sm(int warps_log2) {
  static std::atomic<int> cached[4] = {-1, -1, -1, -1};
  int value = cached[warps_log2].load(std::memory_order_relaxed);
  if (value < 0) {
    const int warps = 1 << warps_log2;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&value, int4_stream_kernel<NF>, warps * 32,
                                                      stream_shared_bytes<NF>(warps)) != cudaSuccess) {
      value = 1;
    }
    cached[warps_log2].store(value, std::memory_order_relaxed);
  }
  return value;
}

// The most warps (8, 4, 2, 1; at most max_warps) whose grid is resident in one wave, so that every warp streams to
// the end together and no second wave leaves the card half idle; 4 where no count fits.
template <int NF>
cudaError_t launch_stream(const Int4MmaArgs& a, int max_warps, int num_sms, cudaStream_t stream) {
  const int64_t blocks = (a.n + 15) / 16;
  int warps = max_warps < 4 ? max_warps : 4;
  for (int log2 = 3; log2 >= 0; --log2) {
    if ((1 << log2) > max_warps) continue;
    if (static_cast<int64_t>(stream_blocks_per_sm<NF>(log2)) * num_sms >= blocks) {
      warps = 1 << log2;
      break;
    }
  }
  int4_stream_kernel<NF><<<static_cast<unsigned>(blocks), warps * 32, stream_shared_bytes<NF>(warps), stream>>>(a);
  return cudaGetLastError();
}

// One thread per 32 packed columns of one row: a 16-byte code load, four 16-byte bf16 stores in column order.
__global__ void int4_dequantize_bf16_kernel(Int4DequantArgs a) {
  const int64_t units_per_row = a.k / 32;
  const int64_t total = a.out_rows * units_per_row;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = idx / units_per_row;
    const int64_t unit = idx % units_per_row;
    const int64_t row = a.row_begin + r;
    const int64_t group = unit * 32 / a.group_size;
    GroupParams p;
    p.scale = a.scales[row * a.scale_stride + group];
    p.zero = a.zeros != nullptr ? static_cast<int>(a.zeros[row * a.zero_stride + group]) : 8;
    const uint4 codes = __ldg(reinterpret_cast<const uint4*>(a.codes + row * a.code_stride_words) + unit);
    uint4* out = reinterpret_cast<uint4*>(static_cast<__nv_bfloat16*>(a.out) + r * a.out_stride + unit * 32);
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      uint32_t pairs[4];  // (c0,c4) (c1,c5) (c2,c6) (c3,c7)
      dequantize_word(word_of(codes, w), p, pairs);
      uint4 ordered;  // (c0,c1) (c2,c3) (c4,c5) (c6,c7)
      ordered.x = __byte_perm(pairs[0], pairs[1], 0x5410);
      ordered.y = __byte_perm(pairs[2], pairs[3], 0x5410);
      ordered.z = __byte_perm(pairs[0], pairs[1], 0x7632);
      ordered.w = __byte_perm(pairs[2], pairs[3], 0x7632);
      out[w] = ordered;
    }
  }
}

template <int NF>
cudaError_t launch_fragments(const Int4MmaArgs& a, cudaStream_t stream) {
  int64_t fragment_blocks = (a.num_tiles * 128 * NF + 255) / 256;
  if (fragment_blocks > 4096) fragment_blocks = 4096;
  int4_x_fragments_kernel<<<static_cast<unsigned>(fragment_blocks), 256, 0, stream>>>(a, NF);
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) return error;
  const int64_t block_rows = kWarps * kRowFragments<NF> * 16;
  const dim3 grid(static_cast<unsigned>((a.n + block_rows - 1) / block_rows), static_cast<unsigned>(a.num_splits));
  int4_mma_kernel<NF><<<grid, kThreads, 0, stream>>>(a);
  return cudaGetLastError();
}

}  // namespace

int64_t int4_mma_block_rows(int m) { return m <= 16 ? kWarps * 16 : kWarps * 32; }

int64_t int4_mma_fragment_bytes(int m, int64_t k) {
  const int64_t padded_rows = m <= 8 ? 8 : m <= 16 ? 16 : m <= 32 ? 32 : 64;
  return padded_rows * k * 2;
}

cudaError_t launch_int4_mma(const Int4MmaArgs& args, cudaStream_t stream) {
  if (args.m < 1 || args.m > kInt4MmaMaxRows || args.num_splits < 1 || args.num_splits > 65535 ||
      args.tiles_per_group < 1 || (args.y_type != ElemType::kBF16 && args.y_type != ElemType::kF32)) {
    return cudaErrorInvalidValue;
  }
  if (args.n == 0) return cudaSuccess;
  cudaError_t error = cudaSuccess;
  if (args.m <= 8) {
    error = launch_fragments<1>(args, stream);
  } else if (args.m <= 16) {
    error = launch_fragments<2>(args, stream);
  } else if (args.m <= 32) {
    error = launch_fragments<4>(args, stream);
  } else {
    error = launch_fragments<8>(args, stream);
  }
  if (error != cudaSuccess || args.num_splits == 1) return error;
  int64_t blocks = (args.m * args.n + 255) / 256;
  if (blocks > 4096) blocks = 4096;
  int4_mma_reduce_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(args);
  return cudaGetLastError();
}

cudaError_t launch_int4_stream(const Int4MmaArgs& args, int num_sms, cudaStream_t stream) {
  if (args.m < 1 || args.m > kInt4StreamMaxRows || num_sms < 1 || args.tiles_per_group < 1 ||
      (args.y_type != ElemType::kBF16 && args.y_type != ElemType::kF32)) {
    return cudaErrorInvalidValue;
  }
  if (args.n == 0) return cudaSuccess;
  // At least 2 k tiles per warp: more warps than that only add reduction work.
  int max_warps = kInt4StreamMaxWarps;
  while (max_warps > 1 && args.num_tiles < 2 * max_warps) max_warps /= 2;
  return args.m <= 8 ? launch_stream<1>(args, max_warps, num_sms, stream)
                     : launch_stream<2>(args, max_warps, num_sms, stream);
}

cudaError_t launch_int4_dequantize_bf16(const Int4DequantArgs& args, cudaStream_t stream) {
  const int64_t total = args.out_rows * (args.k / 32);
  if (total == 0) return cudaSuccess;
  int64_t blocks = (total + 255) / 256;
  if (blocks > 65535) blocks = 65535;
  int4_dequantize_bf16_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(args);
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
