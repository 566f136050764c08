// Argument validation shared by all backends: one clear sentence per refusal, naming the op and the argument.
#include "backend/op_checks.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "base/checked_math.h"

namespace fovea::backend {
namespace {

using base::Status;
using tensor::DType;

std::string dtype_str(DType dtype) { return std::string(tensor::dtype_name(dtype)); }

Status check_output(std::string_view op, std::string_view name, const Tensor& t, Device device) {
  FOVEA_RETURN_IF_ERROR(check_view(op, name, t, device));
  if (t.buffer->read_only())
    return base::invalid_argument("{}: {} lies in a read-only buffer; pass a writable one", op, name);
  return Status();
}

Status check_dtype_in(std::string_view op, std::string_view name, const Tensor& t, bool ok, std::string_view allowed) {
  if (ok) return Status();
  return base::invalid_argument("{}: {} has dtype {}; pass {}", op, name, dtype_str(t.dtype), allowed);
}

Status check_activation(std::string_view op, std::string_view name, const Tensor& t) {
  return check_dtype_in(op, name, t, is_activation_dtype(t.dtype), "f32, bf16 or f16");
}

Status check_exact_dtype(std::string_view op, std::string_view name, const Tensor& t, DType dtype) {
  return check_dtype_in(op, name, t, t.dtype == dtype, dtype_str(dtype));
}

Status check_rank(std::string_view op, std::string_view name, const Tensor& t, int rank) {
  if (t.rank() == rank) return Status();
  return base::invalid_argument("{}: {} has shape {}; it must have {} dimensions", op, name, t.shape.to_string(), rank);
}

Status check_shape(std::string_view op, std::string_view name, const Tensor& t, const tensor::Shape& expected) {
  if (t.shape == expected) return Status();
  return base::invalid_argument("{}: {} has shape {}; it must be {}", op, name, t.shape.to_string(),
                                expected.to_string());
}

// An output that may be exactly its input (in place) but must not partly overlap it.
Status check_alias(std::string_view op, std::string_view out_name, const Tensor& out, std::string_view in_name,
                   const Tensor& in) {
  if (!views_overlap(out, in)) return Status();
  const bool same_view = out.offset_bytes == in.offset_bytes && out.stride_rows() == in.stride_rows() &&
                         out.shape == in.shape && out.dtype == in.dtype;
  if (same_view) return Status();
  return base::invalid_argument("{}: {} partly overlaps {}; pass the same view (in place) or disjoint memory", op,
                                out_name, in_name);
}

Status check_disjoint(std::string_view op, std::string_view out_name, const Tensor& out, std::string_view in_name,
                      const Tensor& in) {
  if (!views_overlap(out, in)) return Status();
  return base::invalid_argument("{}: {} overlaps {}; pass disjoint memory", op, out_name, in_name);
}

Status check_float_param(std::string_view op, std::string_view name, const Tensor& t, int64_t length, Device device) {
  FOVEA_RETURN_IF_ERROR(check_view(op, name, t, device));
  FOVEA_RETURN_IF_ERROR(check_activation(op, name, t));
  return check_shape(op, name, t, tensor::Shape({length}));
}

Status check_same_layout(std::string_view op, std::string_view name, const Tensor& t, const Tensor& like,
                         std::string_view like_name) {
  if (t.shape != like.shape) {
    return base::invalid_argument("{}: {} has shape {} but {} has {}; they must match", op, name, t.shape.to_string(),
                                  like_name, like.shape.to_string());
  }
  if (t.dtype != like.dtype) {
    return base::invalid_argument("{}: {} has dtype {} but {} has {}; they must match", op, name, dtype_str(t.dtype),
                                  like_name, dtype_str(like.dtype));
  }
  return Status();
}

Status check_eps(std::string_view op, float eps) {
  if (std::isfinite(eps) && eps >= 0.0f) return Status();
  return base::invalid_argument("{}: eps is {}; pass a finite value >= 0 (e.g. 1e-6)", op, eps);
}

}  // namespace

bool is_activation_dtype(DType dtype) { return dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16; }

bool is_kv_cache_dtype(DType dtype) { return is_activation_dtype(dtype) || dtype == DType::kF8E4M3; }

bool views_overlap(const Tensor& a, const Tensor& b) {
  if (a.buffer == nullptr || a.buffer != b.buffer) return false;
  const int64_t a_span = a.span_bytes();
  const int64_t b_span = b.span_bytes();
  if (a_span == 0 || b_span == 0) return false;
  return a.offset_bytes < b.offset_bytes + b_span && b.offset_bytes < a.offset_bytes + a_span;
}

Status check_stream(std::string_view op, const Stream& stream, Device device) {
  if (stream.device() == device) return Status();
  return base::invalid_argument("{}: the stream belongs to {} but this op table runs on {}", op,
                                device_name(stream.device()), device_name(device));
}

Status check_view(std::string_view op, std::string_view name, const Tensor& t, Device device) {
  if (t.buffer == nullptr) return base::invalid_argument("{}: {} has no buffer", op, name);
  if (t.buffer->device() != device) {
    return base::invalid_argument("{}: {} lives on {} but this op table runs on {}; copy it there first", op, name,
                                  device_name(t.buffer->device()), device_name(device));
  }
  if (t.rank() < 1) return base::invalid_argument("{}: {} has no dimensions; pass at least one", op, name);
  const std::optional<int64_t> numel = t.shape.checked_numel();
  if (!numel) return base::invalid_argument("{}: {} has an invalid shape {}", op, name, t.shape.to_string());
  if (t.row_stride != 0 && t.row_stride < t.row_numel()) {
    return base::invalid_argument("{}: {} has row stride {} below its row size {}", op, name, t.row_stride,
                                  t.row_numel());
  }
  if (t.rank() == 1 && t.row_stride > 1) {
    return base::invalid_argument("{}: {} is a strided 1-D view; 1-D views must be packed", op, name);
  }
  const int64_t element_bytes = t.element_size_bytes();
  if (t.offset_bytes < 0 || t.offset_bytes % element_bytes != 0) {
    return base::invalid_argument("{}: {} starts at byte {}, not a multiple of its element size {}", op, name,
                                  t.offset_bytes, element_bytes);
  }
  if (*numel == 0) return Status();
  const std::optional<int64_t> rows_span = base::checked_mul(t.num_rows() - 1, t.stride_rows());
  const std::optional<int64_t> elements = rows_span ? base::checked_add(*rows_span, t.row_numel()) : std::nullopt;
  const std::optional<int64_t> bytes = elements ? base::checked_mul(*elements, element_bytes) : std::nullopt;
  const std::optional<int64_t> end = bytes ? base::checked_add(*bytes, t.offset_bytes) : std::nullopt;
  if (!end || static_cast<uint64_t>(*end) > t.buffer->size_bytes()) {
    return base::invalid_argument("{}: {} of shape {} at byte {} runs past the end of its {}-byte buffer", op, name,
                                  t.shape.to_string(), t.offset_bytes, t.buffer->size_bytes());
  }
  return Status();
}

Status check_embedding(Device device, const Tensor& table, const Tensor& ids, const Tensor& out) {
  constexpr std::string_view kOp = "embedding";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "table", table, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "ids", ids, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "table", table, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "table", table));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "ids", ids, 1));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "ids", ids, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "out", out));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "out", out, tensor::Shape({ids.dim(0), table.dim(1)})));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "table", table));
  return check_disjoint(kOp, "out", out, "ids", ids);
}

Status check_embedding_range(Device device, const Tensor& table, const Tensor& ids, VocabRange range,
                             const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_embedding(device, table, ids, out));
  if (range.begin < 0 || range.count < 0 || range.count > table.dim(0) || range.begin > INT32_MAX - range.count) {
    return base::invalid_argument(
        "embedding_range: vocabulary range [{}, {} + {}) does not fit a table of {} rows and i32 ids; pass a range "
        "of at most the table's rows",
        range.begin, range.begin, range.count, table.dim(0));
  }
  return Status();
}

Status check_scatter_rows(Device device, const Tensor& src, const Tensor& row_indices, const Tensor& dst) {
  constexpr std::string_view kOp = "scatter_rows";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "src", src, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "row_indices", row_indices, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "dst", dst, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "src", src, 2));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "dst", dst, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "src", src));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "dst", dst));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "row_indices", row_indices, 1));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "row_indices", row_indices, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "row_indices", row_indices, tensor::Shape({src.dim(0)})));
  if (src.dim(1) != dst.dim(1)) {
    return base::invalid_argument("scatter_rows: src rows have {} elements but dst rows {}; they must match",
                                  src.dim(1), dst.dim(1));
  }
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "dst", dst, "src", src));
  return check_disjoint(kOp, "dst", dst, "row_indices", row_indices);
}

Status check_convert(Device device, const Tensor& x, const Tensor& out) {
  constexpr std::string_view kOp = "convert";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "out", out));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "out", out, x.shape));
  if (out.dtype != x.dtype) return check_disjoint(kOp, "out", out, "x", x);
  return check_alias(kOp, "out", out, "x", x);
}

bool is_linear_output_dtype(DType x_dtype, DType y_dtype) {
  return y_dtype == x_dtype || (y_dtype == DType::kF32 && (x_dtype == DType::kBF16 || x_dtype == DType::kF16));
}

Status check_linear_output_dtype(const Tensor& x, const Tensor& y) {
  if (is_linear_output_dtype(x.dtype, y.dtype)) return Status();
  return base::invalid_argument("linear: y has dtype {} but x has {}; pass y of x's dtype, or f32 for a bf16/f16 x",
                                dtype_str(y.dtype), dtype_str(x.dtype));
}

Status check_linear(Device device, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  constexpr std::string_view kOp = "linear";
  if (w.format != WeightFormat::kDense) return base::unsupported("linear: this weight format has no kernel yet");
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "weight", w.values, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "y", y, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "x", x, 2));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "weight", w.values, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "weight", w.values));
  if (w.in_features() != x.dim(1)) {
    return base::invalid_argument("linear: x has {} features but the weight of shape {} expects {}", x.dim(1),
                                  w.values.shape.to_string(), w.in_features());
  }
  if (bias != nullptr) FOVEA_RETURN_IF_ERROR(check_float_param(kOp, "bias", *bias, w.out_features(), device));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "y", y, tensor::Shape({x.dim(0), w.out_features()})));
  FOVEA_RETURN_IF_ERROR(check_linear_output_dtype(x, y));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "y", y, "x", x));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "y", y, "weight", w.values));
  if (bias != nullptr) FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "y", y, "bias", *bias));
  return Status();
}

Status check_rms_norm(Device device, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  constexpr std::string_view kOp = "rms_norm";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  if (x.rank() != 2 && x.rank() != 3) {
    return base::invalid_argument("rms_norm: x has shape {}; pass [rows, D] or [T, heads, D]", x.shape.to_string());
  }
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  FOVEA_RETURN_IF_ERROR(check_float_param(kOp, "weight", weight, x.last_dim(), device));
  FOVEA_RETURN_IF_ERROR(check_eps(kOp, eps));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, x, "x"));
  FOVEA_RETURN_IF_ERROR(check_alias(kOp, "out", out, "x", x));
  return check_disjoint(kOp, "out", out, "weight", weight);
}

Status check_layer_norm(Device device, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                        const Tensor& out) {
  constexpr std::string_view kOp = "layer_norm";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "x", x, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  FOVEA_RETURN_IF_ERROR(check_float_param(kOp, "weight", weight, x.last_dim(), device));
  FOVEA_RETURN_IF_ERROR(check_float_param(kOp, "bias", bias, x.last_dim(), device));
  FOVEA_RETURN_IF_ERROR(check_eps(kOp, eps));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, x, "x"));
  FOVEA_RETURN_IF_ERROR(check_alias(kOp, "out", out, "x", x));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "weight", weight));
  return check_disjoint(kOp, "out", out, "bias", bias);
}

Status check_rope_cos_sin(Device device, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                          const Tensor& sin) {
  constexpr std::string_view kOp = "rope_cos_sin";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "positions", positions, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "cos", cos, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "sin", sin, device));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "positions", positions, DType::kI32));
  if (!(config.theta > 0.0f) || !std::isfinite(config.theta)) {
    return base::invalid_argument("rope_cos_sin: theta is {}; pass the model's rope_theta (> 0)", config.theta);
  }
  const int multiple = config.kind == RopeKind::kVision2d ? 4 : 2;
  if (config.rotary_dim <= 0 || config.rotary_dim % multiple != 0 || config.rotary_dim > 1024) {
    return base::invalid_argument("rope_cos_sin: rotary_dim {} must be a positive multiple of {}, at most 1024",
                                  config.rotary_dim, multiple);
  }
  int64_t num_tokens = 0;
  if (config.kind == RopeKind::kLinear) {
    FOVEA_RETURN_IF_ERROR(check_rank(kOp, "positions", positions, 1));
    num_tokens = positions.dim(0);
  } else {
    const int64_t num_axes = config.kind == RopeKind::kInterleavedMrope ? 3 : 2;
    FOVEA_RETURN_IF_ERROR(check_rank(kOp, "positions", positions, 2));
    if (positions.dim(0) != num_axes) {
      return base::invalid_argument("rope_cos_sin: positions has shape {}; this rope kind needs [{}, T]",
                                    positions.shape.to_string(), num_axes);
    }
    num_tokens = positions.dim(1);
  }
  if (config.kind == RopeKind::kInterleavedMrope) {
    // Like HF, sections past rotary_dim/2 are cut off, and axis t takes every frequency the others leave.
    const auto& section = config.mrope_section;
    if (section[0] < 0 || section[1] < 0 || section[2] < 0) {
      return base::invalid_argument("rope_cos_sin: mrope_section [{}, {}, {}] has a negative entry", section[0],
                                    section[1], section[2]);
    }
  }
  const tensor::Shape table({num_tokens, config.rotary_dim});
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "cos", cos, table));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "sin", sin, table));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "cos", cos, DType::kF32));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "sin", sin, DType::kF32));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "cos", cos, "sin", sin));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "cos", cos, "positions", positions));
  return check_disjoint(kOp, "sin", sin, "positions", positions);
}

Status check_rope_apply(Device device, const Tensor& x, const Tensor& cos, const Tensor& sin, const Tensor& out) {
  constexpr std::string_view kOp = "rope_apply";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "cos", cos, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "sin", sin, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "x", x, 3));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  if (x.last_dim() % 2 != 0 || x.last_dim() > 1024) {
    return base::invalid_argument("rope_apply: head_dim {} must be even and at most 1024", x.last_dim());
  }
  const tensor::Shape table({x.dim(0), x.last_dim()});
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "cos", cos, table));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "sin", sin, table));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "cos", cos, DType::kF32));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "sin", sin, DType::kF32));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, x, "x"));
  FOVEA_RETURN_IF_ERROR(check_alias(kOp, "out", out, "x", x));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "cos", cos));
  return check_disjoint(kOp, "out", out, "sin", sin);
}

namespace {

Status check_cache(std::string_view op, Device device, const PagedKvCache& cache, bool written) {
  FOVEA_RETURN_IF_ERROR(written ? check_output(op, "k cache", cache.k, device)
                                : check_view(op, "k cache", cache.k, device));
  FOVEA_RETURN_IF_ERROR(written ? check_output(op, "v cache", cache.v, device)
                                : check_view(op, "v cache", cache.v, device));
  FOVEA_RETURN_IF_ERROR(check_rank(op, "k cache", cache.k, 4));
  FOVEA_RETURN_IF_ERROR(
      check_dtype_in(op, "k cache", cache.k, is_kv_cache_dtype(cache.k.dtype), "f32, bf16, f16 or f8e4m3"));
  FOVEA_RETURN_IF_ERROR(check_same_layout(op, "v cache", cache.v, cache.k, "k cache"));
  FOVEA_RETURN_IF_ERROR(check_disjoint(op, "v cache", cache.v, "k cache", cache.k));
  if (!(cache.k_scale > 0.0f) || !(cache.v_scale > 0.0f) || !std::isfinite(cache.k_scale) ||
      !std::isfinite(cache.v_scale)) {
    return base::invalid_argument("{}: KV cache scales must be finite and > 0 (got {} and {})", op, cache.k_scale,
                                  cache.v_scale);
  }
  return Status();
}

Status check_heads(std::string_view op, std::string_view name, const Tensor& t, int64_t num_heads, int64_t head_dim) {
  if (t.dim(1) == num_heads && t.dim(2) == head_dim) return Status();
  return base::invalid_argument("{}: {} has shape {}; it must be [T, {}, {}]", op, name, t.shape.to_string(), num_heads,
                                head_dim);
}

Status check_gqa(std::string_view op, int64_t num_heads, int64_t num_kv_heads) {
  if (num_kv_heads > 0 && num_heads % num_kv_heads == 0) return Status();
  return base::invalid_argument("{}: {} query heads are not a multiple of {} kv heads", op, num_heads, num_kv_heads);
}

}  // namespace

Status check_kv_cache_write(Device device, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                            const PagedKvCache& cache) {
  constexpr std::string_view kOp = "kv_cache_write";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "k", k, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "v", v, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "slot_mapping", slot_mapping, device));
  FOVEA_RETURN_IF_ERROR(check_cache(kOp, device, cache, true));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "k", k, 3));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "k", k));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "v", v, k, "k"));
  FOVEA_RETURN_IF_ERROR(check_heads(kOp, "k", k, cache.num_kv_heads(), cache.head_dim()));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "slot_mapping", slot_mapping, 1));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "slot_mapping", slot_mapping, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "slot_mapping", slot_mapping, tensor::Shape({k.dim(0)})));
  for (const Tensor* input : {&k, &v, &slot_mapping}) {
    FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "k cache", cache.k, "an input", *input));
    FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "v cache", cache.v, "an input", *input));
  }
  return Status();
}

Status check_paged_attention(Device device, const Tensor& q, const PagedKvCache& cache,
                             const PagedAttentionBatch& batch, const Tensor& out) {
  constexpr std::string_view kOp = "paged_attention";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "q", q, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_cache(kOp, device, cache, false));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "q", q, 3));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "q", q));
  FOVEA_RETURN_IF_ERROR(check_heads(kOp, "q", q, q.dim(1), cache.head_dim()));
  FOVEA_RETURN_IF_ERROR(check_gqa(kOp, q.dim(1), cache.num_kv_heads()));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, q, "q"));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "query_start_loc", batch.query_start_loc, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "seq_lens", batch.seq_lens, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "block_tables", batch.block_tables, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "seq_lens", batch.seq_lens, 1));
  const int64_t num_seqs = batch.seq_lens.dim(0);
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "query_start_loc", batch.query_start_loc, tensor::Shape({num_seqs + 1})));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "block_tables", batch.block_tables, 2));
  if (batch.block_tables.dim(0) != num_seqs) {
    return base::invalid_argument("paged_attention: block_tables has {} rows for {} sequences",
                                  batch.block_tables.dim(0), num_seqs);
  }
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "query_start_loc", batch.query_start_loc, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "seq_lens", batch.seq_lens, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "block_tables", batch.block_tables, DType::kI32));
  if (batch.max_query_len < 0 || batch.max_seq_len < 0) {
    return base::invalid_argument("paged_attention: max_query_len and max_seq_len must be >= 0");
  }
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "q", q));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "k cache", cache.k));
  return check_disjoint(kOp, "out", out, "v cache", cache.v);
}

Status check_segment_attention(Device device, const Tensor& q, const Tensor& k, const Tensor& v,
                               const SegmentBatch& segments, const Tensor& out) {
  constexpr std::string_view kOp = "segment_attention";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "q", q, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "k", k, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "v", v, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "cu_seqlens", segments.cu_seqlens, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "q", q, 3));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "k", k, 3));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "q", q));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "k", k, q.dtype));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "v", v, k, "k"));
  FOVEA_RETURN_IF_ERROR(check_heads(kOp, "k", k, k.dim(1), q.dim(2)));
  if (k.dim(0) != q.dim(0)) {
    return base::invalid_argument("segment_attention: q has {} tokens but k has {}; they must match", q.dim(0),
                                  k.dim(0));
  }
  FOVEA_RETURN_IF_ERROR(check_gqa(kOp, q.dim(1), k.dim(1)));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, q, "q"));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "cu_seqlens", segments.cu_seqlens, 1));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "cu_seqlens", segments.cu_seqlens, DType::kI32));
  if (segments.cu_seqlens.dim(0) < 1 || segments.max_seqlen < 0) {
    return base::invalid_argument("segment_attention: cu_seqlens needs at least one entry and max_seqlen >= 0");
  }
  for (const Tensor* input : {&q, &k, &v, &segments.cu_seqlens}) {
    FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "out", out, "an input", *input));
  }
  return Status();
}

Status check_swiglu(Device device, const Tensor& gate, const Tensor& up, const Tensor& out) {
  constexpr std::string_view kOp = "swiglu";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "gate", gate, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "up", up, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "gate", gate));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "up", up, gate, "gate"));
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, gate, "gate"));
  FOVEA_RETURN_IF_ERROR(check_alias(kOp, "out", out, "gate", gate));
  return check_alias(kOp, "out", out, "up", up);
}

Status check_unary(std::string_view op, Device device, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_view(op, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(op, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_activation(op, "x", x));
  FOVEA_RETURN_IF_ERROR(check_same_layout(op, "out", out, x, "x"));
  return check_alias(op, "out", out, "x", x);
}

Status check_add(Device device, const Tensor& a, const Tensor& b, const Tensor& out) {
  constexpr std::string_view kOp = "add";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "a", a, device));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "b", b, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "a", a));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "b", b));
  const bool broadcast = b.shape == tensor::Shape({a.last_dim()}) && a.rank() > 1;
  if (!broadcast && b.shape != a.shape) {
    return base::invalid_argument("add: b has shape {}; pass a's shape {} or [{}] to broadcast over rows",
                                  b.shape.to_string(), a.shape.to_string(), a.last_dim());
  }
  FOVEA_RETURN_IF_ERROR(check_same_layout(kOp, "out", out, a, "a"));
  FOVEA_RETURN_IF_ERROR(check_alias(kOp, "out", out, "a", a));
  return broadcast ? check_disjoint(kOp, "out", out, "b", b) : check_alias(kOp, "out", out, "b", b);
}

Status check_softmax(std::string_view op, Device device, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_view(op, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(op, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_rank(op, "x", x, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(op, "x", x));
  FOVEA_RETURN_IF_ERROR(check_shape(op, "out", out, x.shape));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(op, "out", out, DType::kF32));
  if (x.dtype == DType::kF32) return check_alias(op, "out", out, "x", x);
  return check_disjoint(op, "out", out, "x", x);
}

Status check_top_k(Device device, const Tensor& x, int k, const Tensor& values, const Tensor& indices) {
  constexpr std::string_view kOp = "top_k";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "values", values, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "indices", indices, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "x", x, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  if (k < 1 || k > x.dim(1)) {
    return base::invalid_argument("top_k: k is {}; pass 1 <= k <= {} (the row length)", k, x.dim(1));
  }
  const tensor::Shape shape({x.dim(0), k});
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "values", values, shape));
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "indices", indices, shape));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "values", values, DType::kF32));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "indices", indices, DType::kI32));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "values", values, "x", x));
  FOVEA_RETURN_IF_ERROR(check_disjoint(kOp, "indices", indices, "x", x));
  return check_disjoint(kOp, "indices", indices, "values", values);
}

Status check_argmax(Device device, const Tensor& x, const Tensor& out) {
  constexpr std::string_view kOp = "argmax";
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "x", x, device));
  FOVEA_RETURN_IF_ERROR(check_output(kOp, "out", out, device));
  FOVEA_RETURN_IF_ERROR(check_rank(kOp, "x", x, 2));
  FOVEA_RETURN_IF_ERROR(check_activation(kOp, "x", x));
  if (x.dim(1) < 1) return base::invalid_argument("argmax: x has empty rows; pass at least one column");
  FOVEA_RETURN_IF_ERROR(check_shape(kOp, "out", out, tensor::Shape({x.dim(0)})));
  FOVEA_RETURN_IF_ERROR(check_exact_dtype(kOp, "out", out, DType::kI32));
  return check_disjoint(kOp, "out", out, "x", x);
}

}  // namespace fovea::backend
