// Ops: the op table every backend implements (the CPU reference, the fast CPU ops, later CUDA). Model code calls
// only these. Each op enqueues on `stream`, validates shapes/dtypes on the host and returns a Status; it never
// allocates device memory on its hot path. Numerics and rounding of each op: docs/BACKEND.md.
// "act" below means an activation dtype: f32, bf16 or f16. Inputs and outputs may be strided views (Tensor).
// Must not contain implementations.
#pragma once

#include <string_view>

#include "backend/op_params.h"
#include "backend/stream.h"
#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"

namespace fovea::backend {

class Ops {
 public:
  virtual ~Ops() = default;
  Ops() = default;
  Ops(const Ops&) = delete;
  Ops& operator=(const Ops&) = delete;

  virtual std::string_view name() const = 0;

  // out[i, :] = table[ids[i], :] converted to out's dtype. Also gathers hidden rows (e.g. last tokens).
  virtual base::Status embedding(Stream& stream,
                                 const Tensor& table,  // [num_rows, H] bf16 / f16 / f32
                                 const Tensor& ids,    // [T] i32, each in [0, num_rows)
                                 const Tensor& out)    // [T, H] act
      = 0;

  // Vocabulary-parallel embedding (tensor parallelism): out[i, :] = table[ids[i] - range.begin, :] when ids[i] is in
  // [range.begin, range.begin + range.count), else zeros. Any id is accepted (ids outside the range are another
  // rank's rows).
  virtual base::Status embedding_range(Stream& stream,
                                       const Tensor& table,  // [rows, H] bf16 / f16 / f32, rows >= range.count
                                       const Tensor& ids,    // [T] i32
                                       VocabRange range,
                                       const Tensor& out)  // [T, H] act
      = 0;

  // dst[row_indices[i], :] = src[i, :] (or += with accumulate, rounded once to dst's dtype). Indices must be
  // distinct when accumulating. Used for vision embeddings into pad positions and DeepStack additions.
  virtual base::Status scatter_rows(Stream& stream,
                                    const Tensor& src,          // [n, H] act
                                    const Tensor& row_indices,  // [n] i32, each in [0, R)
                                    bool accumulate,
                                    const Tensor& dst)  // [R, H] act
      = 0;

  // out = x converted to out's dtype (round to nearest even).
  virtual base::Status convert(Stream& stream,
                               const Tensor& x,    // any shape, f32 / bf16 / f16
                               const Tensor& out)  // same shape, f32 / bf16 / f16
      = 0;

  // y = x · Wᵀ (+ bias) for every weight format: fp32 products and accumulation, bias added in fp32, one rounding
  // to y's dtype. y f32 with x bf16/f16 gets those fp32 sums unrounded (where a kernel splits K, the split sums
  // are added in fp32 too): tensor-parallel ranks all-reduce row-parallel partials so, then round once. Where the
  // summation order does not depend on y's dtype (every CPU path; the CUDA GEMV and int4 kernels, not cuBLASLt),
  // rounding that f32 y to x's dtype gives the bf16/f16 y bit for bit.
  virtual base::Status linear(Stream& stream,
                              const Tensor& x,     // [M, K] act
                              const Weight& w,     // [N, K]
                              const Tensor* bias,  // [N] bf16 / f16 / f32, or nullptr
                              const Tensor& y)     // [M, N] x's dtype, or f32 for a bf16/f16 x; must not overlap x
      = 0;

  // HF RMSNorm over the last dim: y = x * rsqrt(mean(x²) + eps) in fp32, rounded to x's dtype, then times
  // weight, rounded again. Rank 3 [T, heads, D] normalises each head (q_norm/k_norm). out may be x.
  virtual base::Status rms_norm(Stream& stream,
                                const Tensor& x,       // [rows, D] or [T, heads, D] act
                                const Tensor& weight,  // [D] bf16 / f16 / f32
                                float eps,
                                const Tensor& out)  // same shape and dtype as x
      = 0;

  // LayerNorm over the last dim, all in fp32, one rounding: (x - mean) * rsqrt(var + eps) * weight + bias.
  virtual base::Status layer_norm(Stream& stream,
                                  const Tensor& x,       // [rows, D] act
                                  const Tensor& weight,  // [D] bf16 / f16 / f32
                                  const Tensor& bias,    // [D] bf16 / f16 / f32
                                  float eps,
                                  const Tensor& out)  // same shape and dtype as x; may be x
      = 0;

  // cos/sin tables of the rotary embedding for the given positions (fp32 throughout, like HF).
  virtual base::Status rope_cos_sin(Stream& stream,
                                    const Tensor& positions,  // [T] (kLinear), [3, T] (mrope), [2, T] (vision) i32
                                    const RopeConfig& config,
                                    const Tensor& cos,  // [T, rotary_dim] f32
                                    const Tensor& sin)  // [T, rotary_dim] f32
      = 0;

  // NeoX rotate_half rotation: out = x * cos + rotate_half(x) * sin, pairs (j, j + D/2), per head.
  virtual base::Status rope_apply(Stream& stream,
                                  const Tensor& x,    // [T, heads, D] act
                                  const Tensor& cos,  // [T, D] f32
                                  const Tensor& sin,  // [T, D] f32
                                  RopeArithmetic arithmetic,
                                  const Tensor& out)  // same shape and dtype as x; may be x
      = 0;

  // Writes new K/V rows into their cache slots; a negative slot skips the row (padding).
  virtual base::Status kv_cache_write(Stream& stream,
                                      const Tensor& k,             // [T, num_kv_heads, head_dim] act
                                      const Tensor& v,             // [T, num_kv_heads, head_dim] act
                                      const Tensor& slot_mapping,  // [T] i32: block_idx * block_size + offset
                                      const PagedKvCache& cache) = 0;

  // Causal attention of a varlen batch over the paged cache (prefill chunks and decodes in one call), GQA
  // (query head h reads kv head h / (num_heads / num_kv_heads)), softmax in fp32, one rounding of the output.
  virtual base::Status paged_attention(Stream& stream,
                                       const Tensor& q,  // [T, num_heads, head_dim] act
                                       const PagedKvCache& cache, const PagedAttentionBatch& batch,
                                       float scale,        // usually head_dim^-0.5
                                       const Tensor& out)  // [T, num_heads, head_dim] same dtype as q
      = 0;

  // Non-causal attention within segments (vision tower), GQA allowed, softmax in fp32.
  virtual base::Status segment_attention(Stream& stream,
                                         const Tensor& q,  // [N, num_heads, head_dim] act
                                         const Tensor& k,  // [N, num_kv_heads, head_dim] same dtype as q
                                         const Tensor& v,  // [N, num_kv_heads, head_dim] same dtype as q
                                         const SegmentBatch& segments, float scale,
                                         const Tensor& out)  // [N, num_heads, head_dim] same dtype as q
      = 0;

  // out = silu(gate) * up, HF rounding: silu rounded to the dtype, then the product rounded. For a fused
  // [M, 2I] gate_up pass slice_columns views. out may alias gate or up element-for-element.
  virtual base::Status swiglu(Stream& stream,
                              const Tensor& gate,  // [M, I] act
                              const Tensor& up,    // [M, I] same dtype
                              const Tensor& out)   // [M, I] same dtype
      = 0;

  // out = gelu(x) in fp32, one rounding. out may be x.
  virtual base::Status gelu(Stream& stream,
                            const Tensor& x,  // any shape, act
                            GeluKind kind,
                            const Tensor& out)  // same shape and dtype
      = 0;

  // out = a + b in fp32, one rounding (residual add; with b of [D] a broadcast bias add). out may be a or b.
  virtual base::Status add(Stream& stream,
                           const Tensor& a,    // [..., D] act
                           const Tensor& b,    // same shape as a, or [D]; any float dtype of act
                           const Tensor& out)  // same shape and dtype as a
      = 0;

  // Softmax / log-softmax over the last dim in fp32 (x converted first). A row of all -inf gives NaN like torch.
  virtual base::Status softmax(Stream& stream,
                               const Tensor& x,    // [M, V] act
                               const Tensor& out)  // [M, V] f32
      = 0;
  virtual base::Status log_softmax(Stream& stream,
                                   const Tensor& x,    // [M, V] act
                                   const Tensor& out)  // [M, V] f32
      = 0;

  // The k largest of each row, largest first; equal values: lower index first; NaN ranks above +inf (torch).
  virtual base::Status top_k(Stream& stream,
                             const Tensor& x,        // [M, V] act
                             int k,                  // 1 <= k <= V
                             const Tensor& values,   // [M, k] f32
                             const Tensor& indices)  // [M, k] i32
      = 0;

  // Index of the largest value of each row; the first one on ties; a NaN counts as the largest (torch).
  virtual base::Status argmax(Stream& stream,
                              const Tensor& x,    // [M, V] act
                              const Tensor& out)  // [M] i32
      = 0;
};

}  // namespace fovea::backend
