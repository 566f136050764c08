// TimedOps: each override times the forwarded call with steady_clock and adds it to the op's total.
#include "timed_ops.h"

#include <chrono>

namespace fovea::bench {
namespace {

template <typename Fn>
base::Status timed(std::map<std::string, OpTotals>& totals, bool recording, const std::string& op_name, Fn&& fn) {
  if (!recording) return fn();
  const auto start = std::chrono::steady_clock::now();
  base::Status status = fn();
  OpTotals& entry = totals[op_name];
  ++entry.num_calls;
  entry.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return status;
}

}  // namespace

base::Status TimedOps::embedding(backend::Stream& stream, const backend::Tensor& table, const backend::Tensor& ids,
                                 const backend::Tensor& out) {
  return timed(totals_, recording_, "embedding", [&] { return inner_->embedding(stream, table, ids, out); });
}

base::Status TimedOps::embedding_range(backend::Stream& stream, const backend::Tensor& table,
                                       const backend::Tensor& ids, backend::VocabRange range,
                                       const backend::Tensor& out) {
  return timed(totals_, recording_, "embedding_range",
               [&] { return inner_->embedding_range(stream, table, ids, range, out); });
}

base::Status TimedOps::scatter_rows(backend::Stream& stream, const backend::Tensor& src,
                                    const backend::Tensor& row_indices, bool accumulate, const backend::Tensor& dst) {
  return timed(totals_, recording_, "scatter_rows",
               [&] { return inner_->scatter_rows(stream, src, row_indices, accumulate, dst); });
}

base::Status TimedOps::convert(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) {
  return timed(totals_, recording_, "convert", [&] { return inner_->convert(stream, x, out); });
}

base::Status TimedOps::linear(backend::Stream& stream, const backend::Tensor& x, const backend::Weight& w,
                              const backend::Tensor* bias, const backend::Tensor& y) {
  const std::string op_name = "linear " + std::to_string(w.out_features()) + "x" + std::to_string(w.in_features());
  return timed(totals_, recording_, op_name, [&] { return inner_->linear(stream, x, w, bias, y); });
}

base::Status TimedOps::rms_norm(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& weight,
                                float eps, const backend::Tensor& out) {
  return timed(totals_, recording_, "rms_norm", [&] { return inner_->rms_norm(stream, x, weight, eps, out); });
}

base::Status TimedOps::layer_norm(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& weight,
                                  const backend::Tensor& bias, float eps, const backend::Tensor& out) {
  return timed(totals_, recording_, "layer_norm",
               [&] { return inner_->layer_norm(stream, x, weight, bias, eps, out); });
}

base::Status TimedOps::rope_cos_sin(backend::Stream& stream, const backend::Tensor& positions,
                                    const backend::RopeConfig& config, const backend::Tensor& cos,
                                    const backend::Tensor& sin) {
  return timed(totals_, recording_, "rope_cos_sin",
               [&] { return inner_->rope_cos_sin(stream, positions, config, cos, sin); });
}

base::Status TimedOps::rope_apply(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& cos,
                                  const backend::Tensor& sin, backend::RopeArithmetic arithmetic,
                                  const backend::Tensor& out) {
  return timed(totals_, recording_, "rope_apply",
               [&] { return inner_->rope_apply(stream, x, cos, sin, arithmetic, out); });
}

base::Status TimedOps::kv_cache_write(backend::Stream& stream, const backend::Tensor& k, const backend::Tensor& v,
                                      const backend::Tensor& slot_mapping, const backend::PagedKvCache& cache) {
  return timed(totals_, recording_, "kv_cache_write",
               [&] { return inner_->kv_cache_write(stream, k, v, slot_mapping, cache); });
}

base::Status TimedOps::paged_attention(backend::Stream& stream, const backend::Tensor& q,
                                       const backend::PagedKvCache& cache, const backend::PagedAttentionBatch& batch,
                                       float scale, const backend::Tensor& out) {
  return timed(totals_, recording_, "paged_attention",
               [&] { return inner_->paged_attention(stream, q, cache, batch, scale, out); });
}

base::Status TimedOps::segment_attention(backend::Stream& stream, const backend::Tensor& q, const backend::Tensor& k,
                                         const backend::Tensor& v, const backend::SegmentBatch& segments, float scale,
                                         const backend::Tensor& out) {
  return timed(totals_, recording_, "segment_attention",
               [&] { return inner_->segment_attention(stream, q, k, v, segments, scale, out); });
}

base::Status TimedOps::swiglu(backend::Stream& stream, const backend::Tensor& gate, const backend::Tensor& up,
                              const backend::Tensor& out) {
  return timed(totals_, recording_, "swiglu", [&] { return inner_->swiglu(stream, gate, up, out); });
}

base::Status TimedOps::gelu(backend::Stream& stream, const backend::Tensor& x, backend::GeluKind kind,
                            const backend::Tensor& out) {
  return timed(totals_, recording_, "gelu", [&] { return inner_->gelu(stream, x, kind, out); });
}

base::Status TimedOps::add(backend::Stream& stream, const backend::Tensor& a, const backend::Tensor& b,
                           const backend::Tensor& out) {
  return timed(totals_, recording_, "add", [&] { return inner_->add(stream, a, b, out); });
}

base::Status TimedOps::softmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) {
  return timed(totals_, recording_, "softmax", [&] { return inner_->softmax(stream, x, out); });
}

base::Status TimedOps::log_softmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) {
  return timed(totals_, recording_, "log_softmax", [&] { return inner_->log_softmax(stream, x, out); });
}

base::Status TimedOps::top_k(backend::Stream& stream, const backend::Tensor& x, int k, const backend::Tensor& values,
                             const backend::Tensor& indices) {
  return timed(totals_, recording_, "top_k", [&] { return inner_->top_k(stream, x, k, values, indices); });
}

base::Status TimedOps::argmax(backend::Stream& stream, const backend::Tensor& x, const backend::Tensor& out) {
  return timed(totals_, recording_, "argmax", [&] { return inner_->argmax(stream, x, out); });
}

}  // namespace fovea::bench
