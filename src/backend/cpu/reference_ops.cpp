// ReferenceOps: gathers, linear, norms, rotary, activations, softmax and ranking as plain loops.
// Attention and the KV cache are in reference_attention.cpp.
#include "backend/cpu/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "backend/cpu/element_io.h"
#include "backend/cpu/quant_linear.h"
#include "backend/cpu/scalar_math.h"
#include "backend/cpu/tensor_access.h"
#include "backend/cpu/value_checks.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};

float load_at(const Tensor& t, int64_t row_idx, int64_t inner_idx) {
  return load_float(element_at(t, row_idx, inner_idx), t.dtype);
}

void store_at(const Tensor& t, int64_t row_idx, int64_t inner_idx, float value) {
  store_float(element_at(t, row_idx, inner_idx), t.dtype, value);
}

float load_in_vector(const Tensor& t, int64_t vector_idx, int64_t idx) {
  return load_float(vector_at(t, vector_idx) + idx * t.element_size_bytes(), t.dtype);
}

void store_in_vector(const Tensor& t, int64_t vector_idx, int64_t idx, float value) {
  store_float(vector_at(t, vector_idx) + idx * t.element_size_bytes(), t.dtype, value);
}

// Element i (flat, row-major) of a view of any rank.
std::byte* flat_at(const Tensor& t, int64_t flat_idx) {
  const int64_t row_numel = t.rank() == 1 ? t.numel() : t.row_numel();
  return element_at(t, flat_idx / row_numel, flat_idx % row_numel);
}

// Applies fn(value) to every element of x into out (same shape).
template <typename Fn>
void map_elements(const Tensor& x, const Tensor& out, Fn&& fn) {
  for (int64_t idx = 0; idx < x.numel(); ++idx) {
    store_float(flat_at(out, idx), out.dtype, fn(load_float(flat_at(x, idx), x.dtype), idx));
  }
}

}  // namespace

base::Status ReferenceOps::embedding(Stream& stream, const Tensor& table, const Tensor& ids, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("embedding", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_embedding(kCpu, table, ids, out));
  FOVEA_RETURN_IF_ERROR(check_index_values("embedding", "ids", ids, table.dim(0), false));
  for (int64_t token_idx = 0; token_idx < ids.dim(0); ++token_idx) {
    const int32_t row_idx = load_i32(element_at(ids, token_idx, 0));
    for (int64_t col_idx = 0; col_idx < table.dim(1); ++col_idx) {
      store_at(out, token_idx, col_idx, load_at(table, row_idx, col_idx));
    }
  }
  return base::Status();
}

base::Status ReferenceOps::embedding_range(Stream& stream, const Tensor& table, const Tensor& ids, VocabRange range,
                                           const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("embedding_range", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_embedding_range(kCpu, table, ids, range, out));
  for (int64_t token_idx = 0; token_idx < ids.dim(0); ++token_idx) {
    const int64_t row_idx = int64_t{load_i32(element_at(ids, token_idx, 0))} - range.begin;
    const bool held = row_idx >= 0 && row_idx < range.count;
    for (int64_t col_idx = 0; col_idx < table.dim(1); ++col_idx) {
      store_at(out, token_idx, col_idx, held ? load_at(table, row_idx, col_idx) : 0.0f);
    }
  }
  return base::Status();
}

base::Status ReferenceOps::scatter_rows(Stream& stream, const Tensor& src, const Tensor& row_indices, bool accumulate,
                                        const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream("scatter_rows", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_scatter_rows(kCpu, src, row_indices, dst));
  FOVEA_RETURN_IF_ERROR(check_index_values("scatter_rows", "row_indices", row_indices, dst.dim(0), false));
  for (int64_t src_idx = 0; src_idx < src.dim(0); ++src_idx) {
    const int32_t dst_idx = load_i32(element_at(row_indices, src_idx, 0));
    for (int64_t col_idx = 0; col_idx < src.dim(1); ++col_idx) {
      float value = load_at(src, src_idx, col_idx);
      if (accumulate) value += load_at(dst, dst_idx, col_idx);
      store_at(dst, dst_idx, col_idx, value);
    }
  }
  return base::Status();
}

base::Status ReferenceOps::convert(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("convert", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_convert(kCpu, x, out));
  map_elements(x, out, [](float value, int64_t) { return value; });
  return base::Status();
}

base::Status ReferenceOps::linear(Stream& stream, const Tensor& x, const Weight& w, const Tensor* bias,
                                  const Tensor& y) {
  FOVEA_RETURN_IF_ERROR(check_stream("linear", stream, kCpu));
  // Quantized formats (quant_linear.h): dequantise each element, same fp64 sums.
  if (w.is_quantized()) return quantized_linear_reference(x, w, bias, y);
  FOVEA_RETURN_IF_ERROR(check_linear(kCpu, x, w, bias, y));
  const int64_t num_in = x.dim(1);
  for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
    for (int64_t out_idx = 0; out_idx < w.out_features(); ++out_idx) {
      double sum = 0.0;
      for (int64_t in_idx = 0; in_idx < num_in; ++in_idx) {
        sum +=
            static_cast<double>(load_at(x, row_idx, in_idx)) * static_cast<double>(load_at(w.values, out_idx, in_idx));
      }
      float result = static_cast<float>(sum);
      if (bias != nullptr) result += load_at(*bias, out_idx, 0);
      store_at(y, row_idx, out_idx, result);
    }
  }
  return base::Status();
}

base::Status ReferenceOps::rms_norm(Stream& stream, const Tensor& x, const Tensor& weight, float eps,
                                    const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("rms_norm", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rms_norm(kCpu, x, weight, eps, out));
  const int64_t dim = x.last_dim();
  for (int64_t vector_idx = 0; vector_idx < num_vectors(x); ++vector_idx) {
    double sum_squares = 0.0;
    for (int64_t idx = 0; idx < dim; ++idx) {
      const double value = load_in_vector(x, vector_idx, idx);
      sum_squares += value * value;
    }
    const float mean_square = static_cast<float>(sum_squares / static_cast<double>(dim));
    const float inv_rms = static_cast<float>(1.0 / std::sqrt(static_cast<double>(mean_square + eps)));
    for (int64_t idx = 0; idx < dim; ++idx) {
      const float normed = round_to(x.dtype, load_in_vector(x, vector_idx, idx) * inv_rms);
      store_in_vector(out, vector_idx, idx, load_at(weight, idx, 0) * normed);
    }
  }
  return base::Status();
}

base::Status ReferenceOps::layer_norm(Stream& stream, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                      float eps, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("layer_norm", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_layer_norm(kCpu, x, weight, bias, eps, out));
  const int64_t dim = x.last_dim();
  for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
    double sum = 0.0;
    for (int64_t idx = 0; idx < dim; ++idx) sum += load_at(x, row_idx, idx);
    const double mean = sum / static_cast<double>(dim);
    double sum_squares = 0.0;
    for (int64_t idx = 0; idx < dim; ++idx) {
      const double centered = load_at(x, row_idx, idx) - mean;
      sum_squares += centered * centered;
    }
    const double inv_std = 1.0 / std::sqrt(sum_squares / static_cast<double>(dim) + eps);
    for (int64_t idx = 0; idx < dim; ++idx) {
      const double normed = (load_at(x, row_idx, idx) - mean) * inv_std;
      store_at(out, row_idx, idx, static_cast<float>(normed * load_at(weight, idx, 0) + load_at(bias, idx, 0)));
    }
  }
  return base::Status();
}

base::Status ReferenceOps::rope_cos_sin(Stream& stream, const Tensor& positions, const RopeConfig& config,
                                        const Tensor& cos, const Tensor& sin) {
  FOVEA_RETURN_IF_ERROR(check_stream("rope_cos_sin", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rope_cos_sin(kCpu, positions, config, cos, sin));
  const int half = config.rotary_dim / 2;
  const int64_t num_tokens = cos.dim(0);
  for (int64_t token_idx = 0; token_idx < num_tokens; ++token_idx) {
    for (int j = 0; j < half; ++j) {
      float angle = 0.0f;
      if (config.kind == RopeKind::kVision2d) {
        // First half of the angles from the row with quarter-width frequencies, second half from the column.
        const int quarter = config.rotary_dim / 4;
        const int axis = j < quarter ? 0 : 1;
        const int freq_idx = j % quarter;
        const int32_t position = load_i32(element_at(positions, axis, token_idx));
        angle = static_cast<float>(position) * rope_inv_freq(config.theta, freq_idx, half);
      } else {
        const int axis = config.kind == RopeKind::kInterleavedMrope ? mrope_axis(j, config) : 0;
        const int32_t position = config.kind == RopeKind::kLinear ? load_i32(element_at(positions, token_idx, 0))
                                                                  : load_i32(element_at(positions, axis, token_idx));
        angle = static_cast<float>(position) * rope_inv_freq(config.theta, j, config.rotary_dim);
      }
      const float cos_value = static_cast<float>(std::cos(static_cast<double>(angle)));
      const float sin_value = static_cast<float>(std::sin(static_cast<double>(angle)));
      for (int offset : {0, half}) {
        store_at(cos, token_idx, j + offset, cos_value);
        store_at(sin, token_idx, j + offset, sin_value);
      }
    }
  }
  return base::Status();
}

base::Status ReferenceOps::rope_apply(Stream& stream, const Tensor& x, const Tensor& cos, const Tensor& sin,
                                      RopeArithmetic arithmetic, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("rope_apply", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rope_apply(kCpu, x, cos, sin, out));
  const int64_t num_heads = x.dim(1);
  const int64_t half = x.dim(2) / 2;
  // HF text: every product and the sum rounded to x's dtype; vision: fp32, one rounding at the store.
  const tensor::DType arith_dtype = arithmetic == RopeArithmetic::kActivation ? x.dtype : tensor::DType::kF32;
  std::vector<float> rotated(static_cast<size_t>(2 * half));
  for (int64_t token_idx = 0; token_idx < x.dim(0); ++token_idx) {
    for (int64_t head_idx = 0; head_idx < num_heads; ++head_idx) {
      const int64_t base_idx = head_idx * 2 * half;
      for (int64_t j = 0; j < 2 * half; ++j) {
        const float value = load_at(x, token_idx, base_idx + j);
        const float partner = load_at(x, token_idx, base_idx + (j < half ? j + half : j - half));
        const float rotate_half = j < half ? -partner : partner;
        const float c = round_to(arith_dtype, load_at(cos, token_idx, j));
        const float s = round_to(arith_dtype, load_at(sin, token_idx, j));
        const float first = round_to(arith_dtype, value * c);
        const float second = round_to(arith_dtype, rotate_half * s);
        rotated[static_cast<size_t>(j)] = first + second;
      }
      for (int64_t j = 0; j < 2 * half; ++j) store_at(out, token_idx, base_idx + j, rotated[static_cast<size_t>(j)]);
    }
  }
  return base::Status();
}

base::Status ReferenceOps::swiglu(Stream& stream, const Tensor& gate, const Tensor& up, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("swiglu", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_swiglu(kCpu, gate, up, out));
  map_elements(gate, out, [&](float gate_value, int64_t idx) {
    return round_to(gate.dtype, silu(gate_value)) * load_float(flat_at(up, idx), up.dtype);
  });
  return base::Status();
}

base::Status ReferenceOps::gelu(Stream& stream, const Tensor& x, GeluKind kind, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("gelu", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_unary("gelu", kCpu, x, out));
  map_elements(x, out, [&](float value, int64_t) { return cpu::gelu(kind, value); });
  return base::Status();
}

base::Status ReferenceOps::add(Stream& stream, const Tensor& a, const Tensor& b, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("add", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_add(kCpu, a, b, out));
  const bool broadcast = b.shape != a.shape;
  map_elements(a, out, [&](float a_value, int64_t idx) {
    const int64_t b_idx = broadcast ? idx % a.last_dim() : idx;
    return a_value + load_float(flat_at(b, b_idx), b.dtype);
  });
  return base::Status();
}

namespace {

// Softmax (or log-softmax) of every row of x into the f32 out, with an fp64 sum.
void softmax_rows(const Tensor& x, const Tensor& out, bool log) {
  const int64_t num_cols = x.dim(1);
  for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
    float max_value = -INFINITY;
    for (int64_t col_idx = 0; col_idx < num_cols; ++col_idx) {
      const float value = load_at(x, row_idx, col_idx);
      if (value > max_value) max_value = value;  // a NaN propagates through the sums below, as in torch
    }
    double sum = 0.0;
    for (int64_t col_idx = 0; col_idx < num_cols; ++col_idx) {
      sum += std::exp(static_cast<double>(load_at(x, row_idx, col_idx)) - max_value);
    }
    for (int64_t col_idx = 0; col_idx < num_cols; ++col_idx) {
      const double shifted = static_cast<double>(load_at(x, row_idx, col_idx)) - max_value;
      store_at(out, row_idx, col_idx, static_cast<float>(log ? shifted - std::log(sum) : std::exp(shifted) / sum));
    }
  }
}

}  // namespace

base::Status ReferenceOps::softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("softmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_softmax("softmax", kCpu, x, out));
  softmax_rows(x, out, false);
  return base::Status();
}

base::Status ReferenceOps::log_softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("log_softmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_softmax("log_softmax", kCpu, x, out));
  softmax_rows(x, out, true);
  return base::Status();
}

base::Status ReferenceOps::top_k(Stream& stream, const Tensor& x, int k, const Tensor& values, const Tensor& indices) {
  FOVEA_RETURN_IF_ERROR(check_stream("top_k", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_top_k(kCpu, x, k, values, indices));
  const int64_t num_cols = x.dim(1);
  std::vector<int64_t> order(static_cast<size_t>(num_cols));
  for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return ranks_before(load_at(x, row_idx, a), a, load_at(x, row_idx, b), b); });
    for (int rank_idx = 0; rank_idx < k; ++rank_idx) {
      const int64_t col_idx = order[static_cast<size_t>(rank_idx)];
      store_at(values, row_idx, rank_idx, load_at(x, row_idx, col_idx));
      store_i32(element_at(indices, row_idx, rank_idx), static_cast<int32_t>(col_idx));
    }
  }
  return base::Status();
}

base::Status ReferenceOps::argmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("argmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_argmax(kCpu, x, out));
  for (int64_t row_idx = 0; row_idx < x.dim(0); ++row_idx) {
    int64_t best_idx = 0;
    for (int64_t col_idx = 1; col_idx < x.dim(1); ++col_idx) {
      if (ranks_before(load_at(x, row_idx, col_idx), col_idx, load_at(x, row_idx, best_idx), best_idx)) {
        best_idx = col_idx;
      }
    }
    store_i32(element_at(out, row_idx, 0), static_cast<int32_t>(best_idx));
  }
  return base::Status();
}

}  // namespace fovea::backend::cpu
