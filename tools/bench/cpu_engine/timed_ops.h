// TimedOps: an Ops table that forwards every call to another one and adds up the wall time spent per op (linear
// split by weight shape), so the CPU benchmark can say where a step's time goes. The wrapped table runs
// synchronously (the CPU backend), so the time of a call is the time of the op.
// Must not contain op implementations or benchmark reporting.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "backend/ops.h"

namespace fovea::bench {

struct OpTotals {
  int64_t num_calls = 0;
  double seconds = 0.0;
};

class TimedOps final : public backend::Ops {
 public:
  explicit TimedOps(backend::Ops& inner) : inner_(&inner) {}

  // Totals by op name ("linear 3072x1024" for a linear with an N x K weight) since the last reset().
  const std::map<std::string, OpTotals>& totals() const { return totals_; }
  void reset() { totals_.clear(); }
  // While off, calls are forwarded without being added (steps that are not part of the phase being timed).
  void set_recording(bool recording) { recording_ = recording; }

  std::string_view name() const override { return inner_->name(); }
  base::Status embedding(backend::Stream& stream, const backend::Tensor& table, const backend::Tensor& ids,
                         const backend::Tensor& out) override;
  base::Status embedding_range(backend::Stream& stream, const backend::Tensor& table, const backend::Tensor& ids,
                               backend::VocabRange range, const backend::Tensor& out) override;
  base::Status scatter_rows(backend::Stream& stream, const backend::Tensor& src, const backend::Tensor& row_indices,
                            bool accumulate, const backend::Tensor& dst) override;
  base::Status convert(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) override;
  base::Status linear(backend::Stream& stream, const backend::Tensor& x, const backend::Weight& w,
                      const backend::Tensor* bias, const backend::Tensor& y) override;
  base::Status rms_norm(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& weight, float eps,
                        const backend::Tensor& out) override;
  base::Status layer_norm(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& weight,
                          const backend::Tensor& bias, float eps, const backend::Tensor& out) override;
  base::Status rope_cos_sin(backend::Stream& stream, const backend::Tensor& positions,
                            const backend::RopeConfig& config, const backend::Tensor& cos,
                            const backend::Tensor& sin) override;
  base::Status rope_apply(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& cos,
                          const backend::Tensor& sin, backend::RopeArithmetic arithmetic,
                          const backend::Tensor& out) override;
  base::Status kv_cache_write(backend::Stream& stream, const backend::Tensor& k, const backend::Tensor& v,
                              const backend::Tensor& slot_mapping, const backend::PagedKvCache& cache) override;
  base::Status paged_attention(backend::Stream& stream, const backend::Tensor& q, const backend::PagedKvCache& cache,
                               const backend::PagedAttentionBatch& batch, float scale,
                               const backend::Tensor& out) override;
  base::Status segment_attention(backend::Stream& stream, const backend::Tensor& q, const backend::Tensor& k,
                                 const backend::Tensor& v, const backend::SegmentBatch& segments, float scale,
                                 const backend::Tensor& out) override;
  base::Status swiglu(backend::Stream& stream, const backend::Tensor& gate, const backend::Tensor& up,
                      const backend::Tensor& out) override;
  base::Status gelu(backend::Stream& stream, const backend::Tensor& x, backend::GeluKind kind,
                    const backend::Tensor& out) override;
  base::Status add(backend::Stream& stream, const backend::Tensor& a, const backend::Tensor& b,
                   const backend::Tensor& out) override;
  base::Status softmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) override;
  base::Status log_softmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) override;
  base::Status top_k(backend::Stream& stream, const backend::Tensor& x, int k, const backend::Tensor& values,
                     const backend::Tensor& indices) override;
  base::Status argmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) override;

 private:
  backend::Ops* inner_;  // not owned
  std::map<std::string, OpTotals> totals_;
  bool recording_ = true;
};

}  // namespace fovea::bench
