// ReferenceOps: the plain CPU implementation of every op: simple loops, one thread, fp64 accumulation where a sum
// is long, and the rounding HF applies (docs/BACKEND.md). It is the oracle the op tests compare every fast path
// and every device backend against. Must not contain SIMD, threading or shortcuts.
#pragma once

#include "backend/ops.h"

namespace fovea::backend::cpu {

class ReferenceOps final : public Ops {
 public:
  std::string_view name() const override { return "cpu-reference"; }

  base::Status embedding(Stream& stream, const Tensor& table, const Tensor& ids, const Tensor& out) override;
  base::Status embedding_range(Stream& stream, const Tensor& table, const Tensor& ids, VocabRange range,
                               const Tensor& out) override;
  base::Status scatter_rows(Stream& stream, const Tensor& src, const Tensor& row_indices, bool accumulate,
                            const Tensor& dst) override;
  base::Status convert(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status linear(Stream& stream, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) override;
  base::Status rms_norm(Stream& stream, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) override;
  base::Status layer_norm(Stream& stream, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                          const Tensor& out) override;
  base::Status rope_cos_sin(Stream& stream, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                            const Tensor& sin) override;
  base::Status rope_apply(Stream& stream, const Tensor& x, const Tensor& cos, const Tensor& sin,
                          RopeArithmetic arithmetic, const Tensor& out) override;
  base::Status kv_cache_write(Stream& stream, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                              const PagedKvCache& cache) override;
  base::Status paged_attention(Stream& stream, const Tensor& q, const PagedKvCache& cache,
                               const PagedAttentionBatch& batch, float scale, const Tensor& out) override;
  base::Status segment_attention(Stream& stream, const Tensor& q, const Tensor& k, const Tensor& v,
                                 const SegmentBatch& segments, float scale, const Tensor& out) override;
  base::Status swiglu(Stream& stream, const Tensor& gate, const Tensor& up, const Tensor& out) override;
  base::Status gelu(Stream& stream, const Tensor& x, GeluKind kind, const Tensor& out) override;
  base::Status add(Stream& stream, const Tensor& a, const Tensor& b, const Tensor& out) override;
  base::Status softmax(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status log_softmax(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status top_k(Stream& stream, const Tensor& x, int k, const Tensor& values, const Tensor& indices) override;
  base::Status argmax(Stream& stream, const Tensor& x, const Tensor& out) override;
};

}  // namespace fovea::backend::cpu
