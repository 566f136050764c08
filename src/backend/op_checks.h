// Host-side validation of op arguments (ranks, dims, dtypes, devices, buffer bounds, overlaps), shared by every
// backend so all of them refuse the same calls with the same messages. Reads no tensor data: checks of values
// (ids in range, attention metadata) live with the backends that can read them.
// Must not contain op code.
#pragma once

#include <string_view>

#include "backend/device.h"
#include "backend/op_params.h"
#include "backend/stream.h"
#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"

namespace fovea::backend {

bool is_activation_dtype(tensor::DType dtype);
bool is_kv_cache_dtype(tensor::DType dtype);
// Whether the byte ranges of two views intersect (same buffer only).
bool views_overlap(const Tensor& a, const Tensor& b);

// A stream of `device`.
base::Status check_stream(std::string_view op, const Stream& stream, Device device);

// A view that lies on `device`, inside its buffer, with a sane stride.
base::Status check_view(std::string_view op, std::string_view name, const Tensor& t, Device device);

base::Status check_embedding(Device device, const Tensor& table, const Tensor& ids, const Tensor& out);
base::Status check_embedding_range(Device device, const Tensor& table, const Tensor& ids, VocabRange range,
                                   const Tensor& out);
base::Status check_scatter_rows(Device device, const Tensor& src, const Tensor& row_indices, const Tensor& dst);
base::Status check_convert(Device device, const Tensor& x, const Tensor& out);
base::Status check_linear(Device device, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);
// y's dtype for a linear of x (every weight format): x's own, or f32 for a bf16/f16 x (unrounded fp32 sums, e.g. the
// partial sums tensor-parallel ranks all-reduce before one rounding).
bool is_linear_output_dtype(tensor::DType x_dtype, tensor::DType y_dtype);
base::Status check_linear_output_dtype(const Tensor& x, const Tensor& y);
base::Status check_rms_norm(Device device, const Tensor& x, const Tensor& weight, float eps, const Tensor& out);
base::Status check_layer_norm(Device device, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                              const Tensor& out);
base::Status check_rope_cos_sin(Device device, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                                const Tensor& sin);
base::Status check_rope_apply(Device device, const Tensor& x, const Tensor& cos, const Tensor& sin, const Tensor& out);
base::Status check_kv_cache_write(Device device, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                                  const PagedKvCache& cache);
base::Status check_paged_attention(Device device, const Tensor& q, const PagedKvCache& cache,
                                   const PagedAttentionBatch& batch, const Tensor& out);
base::Status check_segment_attention(Device device, const Tensor& q, const Tensor& k, const Tensor& v,
                                     const SegmentBatch& segments, const Tensor& out);
base::Status check_swiglu(Device device, const Tensor& gate, const Tensor& up, const Tensor& out);
base::Status check_unary(std::string_view op, Device device, const Tensor& x, const Tensor& out);
base::Status check_add(Device device, const Tensor& a, const Tensor& b, const Tensor& out);
base::Status check_softmax(std::string_view op, Device device, const Tensor& x, const Tensor& out);
base::Status check_top_k(Device device, const Tensor& x, int k, const Tensor& values, const Tensor& indices);
base::Status check_argmax(Device device, const Tensor& x, const Tensor& out);

}  // namespace fovea::backend
