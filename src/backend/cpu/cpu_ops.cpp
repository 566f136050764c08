// CpuOps: construction, path selection helpers and the row-parallel ops (gathers, norms, rotary, activations,
// softmax, ranking). Each converts a chunk of a row to fp32 on the stack, computes, and stores with one rounding
// where the reference rounds once. Linear is in cpu_linear.cpp, attention in cpu_attention.cpp.
#include "backend/cpu/cpu_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/element_io.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/scalar_math.h"
#include "backend/cpu/tensor_access.h"
#include "backend/cpu/value_checks.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {
namespace {

constexpr Device kCpu{DeviceKind::kCpu, 0};
constexpr int64_t kChunk = 256;                    // floats converted at a time, on the stack
constexpr int64_t kMinParallelElements = 1 << 15;  // below this a pool round trip costs more than it saves

// Calls fn(chunk_begin, chunk_count) over [0, n) in kChunk steps.
template <typename Fn>
void for_chunks(int64_t n, Fn&& fn) {
  for (int64_t begin = 0; begin < n; begin += kChunk) fn(begin, std::min(kChunk, n - begin));
}

const std::byte* offset_bytes(const std::byte* base, const Tensor& t, int64_t idx) {
  return base + idx * t.element_size_bytes();
}
std::byte* offset_bytes(std::byte* base, const Tensor& t, int64_t idx) { return base + idx * t.element_size_bytes(); }

// out[out_row, :] = table[table_row, :], converted to out's dtype through `buffer` when the dtypes differ.
void copy_table_row(const Tensor& table, int64_t table_row, const Tensor& out, int64_t out_row, float* buffer) {
  const int64_t width = table.dim(1);
  const std::byte* src = element_at(table, table_row, 0);
  std::byte* dst = element_at(out, out_row, 0);
  if (table.dtype == out.dtype) {
    std::memcpy(dst, src, static_cast<size_t>(width * out.element_size_bytes()));
    return;
  }
  for_chunks(width, [&](int64_t c0, int64_t n) {
    load_floats(offset_bytes(src, table, c0), table.dtype, n, buffer);
    store_floats(buffer, out.dtype, n, offset_bytes(dst, out, c0));
  });
}

}  // namespace

CpuOps::CpuOps(base::ThreadPool& pool, CpuOpsOptions options)
    : pool_(pool), options_(options), workspace_(pool.num_threads()) {
  // Parallelism comes from our pool, which calls sgemm from several threads at once.
  openblas_set_num_threads(1);
}

CpuOps::~CpuOps() = default;

bool CpuOps::use_avx2() const { return options_.simd_path == SimdPath::kAuto && cpu_has_avx2_fma(); }

void CpuOps::for_vectors(int64_t num_vectors, int64_t vector_numel, const std::function<void(int64_t, int64_t)>& fn) {
  if (num_vectors <= 1 || num_vectors * vector_numel < kMinParallelElements) {
    fn(0, num_vectors);
    return;
  }
  pool_.parallel_for(num_vectors, fn);
}

base::Status CpuOps::embedding(Stream& stream, const Tensor& table, const Tensor& ids, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("embedding", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_embedding(kCpu, table, ids, out));
  FOVEA_RETURN_IF_ERROR(check_index_values("embedding", "ids", ids, table.dim(0), false));
  const int64_t width = table.dim(1);
  for_vectors(ids.dim(0), width, [&](int64_t begin, int64_t end) {
    float buffer[kChunk];
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      copy_table_row(table, load_i32(element_at(ids, token_idx, 0)), out, token_idx, buffer);
    }
  });
  return base::Status();
}

base::Status CpuOps::embedding_range(Stream& stream, const Tensor& table, const Tensor& ids, VocabRange range,
                                     const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("embedding_range", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_embedding_range(kCpu, table, ids, range, out));
  const int64_t width = table.dim(1);
  for_vectors(ids.dim(0), width, [&](int64_t begin, int64_t end) {
    float buffer[kChunk];
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      const int64_t row_idx = int64_t{load_i32(element_at(ids, token_idx, 0))} - range.begin;
      std::byte* dst = element_at(out, token_idx, 0);
      if (row_idx < 0 || row_idx >= range.count) {
        std::memset(dst, 0, static_cast<size_t>(width * out.element_size_bytes()));
        continue;
      }
      copy_table_row(table, row_idx, out, token_idx, buffer);
    }
  });
  return base::Status();
}

base::Status CpuOps::scatter_rows(Stream& stream, const Tensor& src, const Tensor& row_indices, bool accumulate,
                                  const Tensor& dst) {
  FOVEA_RETURN_IF_ERROR(check_stream("scatter_rows", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_scatter_rows(kCpu, src, row_indices, dst));
  FOVEA_RETURN_IF_ERROR(check_index_values("scatter_rows", "row_indices", row_indices, dst.dim(0), false));
  // Parallel over column chunks, rows in order: repeated indices give the same result as the reference.
  const int64_t num_chunks = (src.dim(1) + kChunk - 1) / kChunk;
  for_vectors(num_chunks, kChunk * src.dim(0), [&](int64_t chunk_begin, int64_t chunk_end) {
    float values[kChunk];
    float existing[kChunk];
    for (int64_t chunk_idx = chunk_begin; chunk_idx < chunk_end; ++chunk_idx) {
      const int64_t c0 = chunk_idx * kChunk;
      const int64_t n = std::min(kChunk, src.dim(1) - c0);
      for (int64_t src_idx = 0; src_idx < src.dim(0); ++src_idx) {
        std::byte* dst_row = element_at(dst, load_i32(element_at(row_indices, src_idx, 0)), c0);
        load_floats(element_at(src, src_idx, c0), src.dtype, n, values);
        if (accumulate) {
          load_floats(dst_row, dst.dtype, n, existing);
          for (int64_t i = 0; i < n; ++i) values[i] += existing[i];
        }
        store_floats(values, dst.dtype, n, dst_row);
      }
    }
  });
  return base::Status();
}

base::Status CpuOps::convert(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("convert", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_convert(kCpu, x, out));
  const int64_t width = x.rank() == 1 ? x.numel() : x.last_dim();
  for_vectors(num_vectors(x), width, [&](int64_t begin, int64_t end) {
    float buffer[kChunk];
    for (int64_t vector_idx = begin; vector_idx < end; ++vector_idx) {
      const std::byte* src = vector_at(x, vector_idx);
      std::byte* dst = vector_at(out, vector_idx);
      for_chunks(width, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, buffer);
        store_floats(buffer, out.dtype, n, offset_bytes(dst, out, c0));
      });
    }
  });
  return base::Status();
}

base::Status CpuOps::rms_norm(Stream& stream, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("rms_norm", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rms_norm(kCpu, x, weight, eps, out));
  const int64_t dim = x.last_dim();
  for_vectors(num_vectors(x), dim, [&](int64_t begin, int64_t end) {
    float values[kChunk];
    float weights[kChunk];
    for (int64_t vector_idx = begin; vector_idx < end; ++vector_idx) {
      const std::byte* src = vector_at(x, vector_idx);
      std::byte* dst = vector_at(out, vector_idx);
      double sum_squares = 0.0;
      for_chunks(dim, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, values);
        float chunk_sum = 0.0f;
        for (int64_t i = 0; i < n; ++i) chunk_sum += values[i] * values[i];
        sum_squares += chunk_sum;
      });
      const float mean_square = static_cast<float>(sum_squares / static_cast<double>(dim));
      const float inv_rms = static_cast<float>(1.0 / std::sqrt(static_cast<double>(mean_square + eps)));
      for_chunks(dim, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, values);
        load_floats(offset_bytes(weight.host_bytes(), weight, c0), weight.dtype, n, weights);
        for (int64_t i = 0; i < n; ++i) values[i] *= inv_rms;
        round_floats(x.dtype, values, n);
        for (int64_t i = 0; i < n; ++i) values[i] *= weights[i];
        store_floats(values, out.dtype, n, offset_bytes(dst, out, c0));
      });
    }
  });
  return base::Status();
}

base::Status CpuOps::layer_norm(Stream& stream, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                                const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("layer_norm", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_layer_norm(kCpu, x, weight, bias, eps, out));
  const int64_t dim = x.last_dim();
  for_vectors(x.dim(0), dim, [&](int64_t begin, int64_t end) {
    float values[kChunk];
    float weights[kChunk];
    float biases[kChunk];
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      const std::byte* src = element_at(x, row_idx, 0);
      std::byte* dst = element_at(out, row_idx, 0);
      double sum = 0.0;
      for_chunks(dim, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, values);
        float chunk_sum = 0.0f;
        for (int64_t i = 0; i < n; ++i) chunk_sum += values[i];
        sum += chunk_sum;
      });
      const float mean = static_cast<float>(sum / static_cast<double>(dim));
      double sum_squares = 0.0;
      for_chunks(dim, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, values);
        float chunk_sum = 0.0f;
        for (int64_t i = 0; i < n; ++i) chunk_sum += (values[i] - mean) * (values[i] - mean);
        sum_squares += chunk_sum;
      });
      const float inv_std = static_cast<float>(1.0 / std::sqrt(sum_squares / static_cast<double>(dim) + eps));
      for_chunks(dim, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, values);
        load_floats(offset_bytes(weight.host_bytes(), weight, c0), weight.dtype, n, weights);
        load_floats(offset_bytes(bias.host_bytes(), bias, c0), bias.dtype, n, biases);
        for (int64_t i = 0; i < n; ++i) values[i] = (values[i] - mean) * inv_std * weights[i] + biases[i];
        store_floats(values, out.dtype, n, offset_bytes(dst, out, c0));
      });
    }
  });
  return base::Status();
}

base::Status CpuOps::rope_cos_sin(Stream& stream, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                                  const Tensor& sin) {
  FOVEA_RETURN_IF_ERROR(check_stream("rope_cos_sin", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rope_cos_sin(kCpu, positions, config, cos, sin));
  const int half = config.rotary_dim / 2;
  // Per frequency slot j < half: its inverse frequency and the positions row it reads.
  float inv_freq[512];
  int axis[512];
  for (int j = 0; j < half; ++j) {
    if (config.kind == RopeKind::kVision2d) {
      const int quarter = config.rotary_dim / 4;
      axis[j] = j < quarter ? 0 : 1;
      inv_freq[j] = rope_inv_freq(config.theta, j % quarter, half);
    } else {
      axis[j] = config.kind == RopeKind::kInterleavedMrope ? mrope_axis(j, config) : 0;
      inv_freq[j] = rope_inv_freq(config.theta, j, config.rotary_dim);
    }
  }
  for_vectors(cos.dim(0), config.rotary_dim, [&](int64_t begin, int64_t end) {
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      auto* cos_row = reinterpret_cast<float*>(element_at(cos, token_idx, 0));
      auto* sin_row = reinterpret_cast<float*>(element_at(sin, token_idx, 0));
      for (int j = 0; j < half; ++j) {
        const int32_t position = config.kind == RopeKind::kLinear ? load_i32(element_at(positions, token_idx, 0))
                                                                  : load_i32(element_at(positions, axis[j], token_idx));
        const float angle = static_cast<float>(position) * inv_freq[j];
        cos_row[j] = cos_row[j + half] = static_cast<float>(std::cos(static_cast<double>(angle)));
        sin_row[j] = sin_row[j + half] = static_cast<float>(std::sin(static_cast<double>(angle)));
      }
    }
  });
  return base::Status();
}

base::Status CpuOps::rope_apply(Stream& stream, const Tensor& x, const Tensor& cos, const Tensor& sin,
                                RopeArithmetic arithmetic, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("rope_apply", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_rope_apply(kCpu, x, cos, sin, out));
  const int64_t head_dim = x.dim(2);
  const int64_t half = head_dim / 2;
  const tensor::DType arith_dtype = arithmetic == RopeArithmetic::kActivation ? x.dtype : tensor::DType::kF32;
  for_vectors(x.dim(0), x.row_numel(), [&](int64_t begin, int64_t end) {
    float c[1024];
    float s[1024];
    float values[1024];
    float first[1024];
    float second[1024];
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      std::memcpy(c, element_at(cos, token_idx, 0), static_cast<size_t>(head_dim) * sizeof(float));
      std::memcpy(s, element_at(sin, token_idx, 0), static_cast<size_t>(head_dim) * sizeof(float));
      round_floats(arith_dtype, c, head_dim);
      round_floats(arith_dtype, s, head_dim);
      for (int64_t head_idx = 0; head_idx < x.dim(1); ++head_idx) {
        load_floats(element_at(x, token_idx, head_idx * head_dim), x.dtype, head_dim, values);
        for (int64_t j = 0; j < half; ++j) {
          first[j] = values[j] * c[j];
          first[j + half] = values[j + half] * c[j + half];
          second[j] = -values[j + half] * s[j];
          second[j + half] = values[j] * s[j + half];
        }
        round_floats(arith_dtype, first, head_dim);
        round_floats(arith_dtype, second, head_dim);
        for (int64_t j = 0; j < head_dim; ++j) values[j] = first[j] + second[j];
        store_floats(values, out.dtype, head_dim, element_at(out, token_idx, head_idx * head_dim));
      }
    }
  });
  return base::Status();
}

base::Status CpuOps::swiglu(Stream& stream, const Tensor& gate, const Tensor& up, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("swiglu", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_swiglu(kCpu, gate, up, out));
  const int64_t width = gate.rank() == 1 ? gate.numel() : gate.last_dim();
  for_vectors(num_vectors(gate), width, [&](int64_t begin, int64_t end) {
    float gates[kChunk];
    float ups[kChunk];
    for (int64_t vector_idx = begin; vector_idx < end; ++vector_idx) {
      for_chunks(width, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(vector_at(gate, vector_idx), gate, c0), gate.dtype, n, gates);
        load_floats(offset_bytes(vector_at(up, vector_idx), up, c0), up.dtype, n, ups);
        for (int64_t i = 0; i < n; ++i) gates[i] = silu(gates[i]);
        round_floats(gate.dtype, gates, n);
        for (int64_t i = 0; i < n; ++i) gates[i] *= ups[i];
        store_floats(gates, out.dtype, n, offset_bytes(vector_at(out, vector_idx), out, c0));
      });
    }
  });
  return base::Status();
}

base::Status CpuOps::gelu(Stream& stream, const Tensor& x, GeluKind kind, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("gelu", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_unary("gelu", kCpu, x, out));
  const int64_t width = x.rank() == 1 ? x.numel() : x.last_dim();
  for_vectors(num_vectors(x), width, [&](int64_t begin, int64_t end) {
    float values[kChunk];
    for (int64_t vector_idx = begin; vector_idx < end; ++vector_idx) {
      for_chunks(width, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(vector_at(x, vector_idx), x, c0), x.dtype, n, values);
        if (kind == GeluKind::kTanh) {
          for (int64_t i = 0; i < n; ++i) values[i] = gelu_tanh(values[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) values[i] = gelu_erf(values[i]);
        }
        store_floats(values, out.dtype, n, offset_bytes(vector_at(out, vector_idx), out, c0));
      });
    }
  });
  return base::Status();
}

base::Status CpuOps::add(Stream& stream, const Tensor& a, const Tensor& b, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("add", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_add(kCpu, a, b, out));
  const bool broadcast = b.shape != a.shape;
  const int64_t width = a.rank() == 1 ? a.numel() : a.last_dim();
  for_vectors(num_vectors(a), width, [&](int64_t begin, int64_t end) {
    float a_values[kChunk];
    float b_values[kChunk];
    for (int64_t vector_idx = begin; vector_idx < end; ++vector_idx) {
      const std::byte* b_vector = broadcast ? b.host_bytes() : vector_at(b, vector_idx);
      for_chunks(width, [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(vector_at(a, vector_idx), a, c0), a.dtype, n, a_values);
        load_floats(offset_bytes(b_vector, b, c0), b.dtype, n, b_values);
        for (int64_t i = 0; i < n; ++i) a_values[i] += b_values[i];
        store_floats(a_values, out.dtype, n, offset_bytes(vector_at(out, vector_idx), out, c0));
      });
    }
  });
  return base::Status();
}

namespace {

// Softmax or log-softmax of one row into the f32 out row: max, then sum of exp, then the outputs.
void softmax_row(const std::byte* src, tensor::DType dtype, int64_t width, float* out, bool log) {
  float values[kChunk];
  const int64_t element_bytes = tensor::dtype_size_bytes(dtype);
  float max_value = -INFINITY;
  for_chunks(width, [&](int64_t c0, int64_t n) {
    load_floats(src + c0 * element_bytes, dtype, n, values);
    for (int64_t i = 0; i < n; ++i) max_value = values[i] > max_value ? values[i] : max_value;
  });
  double sum = 0.0;
  for_chunks(width, [&](int64_t c0, int64_t n) {
    load_floats(src + c0 * element_bytes, dtype, n, values);
    float chunk_sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float e = std::exp(values[i] - max_value);
      chunk_sum += e;
      if (!log) out[c0 + i] = e;  // out may alias src only for f32 in place; this element was already read
    }
    sum += chunk_sum;
  });
  if (log) {
    const float log_sum = static_cast<float>(std::log(sum));
    for_chunks(width, [&](int64_t c0, int64_t n) {
      load_floats(src + c0 * element_bytes, dtype, n, values);
      for (int64_t i = 0; i < n; ++i) out[c0 + i] = (values[i] - max_value) - log_sum;
    });
  } else {
    const float inv_sum = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < width; ++i) out[i] *= inv_sum;
  }
}

}  // namespace

base::Status CpuOps::softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("softmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_softmax("softmax", kCpu, x, out));
  for_vectors(x.dim(0), x.dim(1), [&](int64_t begin, int64_t end) {
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      softmax_row(element_at(x, row_idx, 0), x.dtype, x.dim(1), reinterpret_cast<float*>(element_at(out, row_idx, 0)),
                  false);
    }
  });
  return base::Status();
}

base::Status CpuOps::log_softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("log_softmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_softmax("log_softmax", kCpu, x, out));
  for_vectors(x.dim(0), x.dim(1), [&](int64_t begin, int64_t end) {
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      softmax_row(element_at(x, row_idx, 0), x.dtype, x.dim(1), reinterpret_cast<float*>(element_at(out, row_idx, 0)),
                  true);
    }
  });
  return base::Status();
}

namespace {

struct Ranked {
  float value;
  int32_t idx;
};

// Heap order: the worst-ranked candidate on top, so it is the one a better value replaces.
bool ranked_before(const Ranked& a, const Ranked& b) { return ranks_before(a.value, a.idx, b.value, b.idx); }

}  // namespace

base::Status CpuOps::top_k(Stream& stream, const Tensor& x, int k, const Tensor& values, const Tensor& indices) {
  FOVEA_RETURN_IF_ERROR(check_stream("top_k", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_top_k(kCpu, x, k, values, indices));
  const int64_t width = x.dim(1);
  const size_t heap_bytes = static_cast<size_t>(k) * sizeof(Ranked);
  workspace_.reserve_task_slots(heap_bytes);
  run_tasks(pool_, x.dim(0), [&](int64_t row_idx, int slot_idx) {
    auto* heap = reinterpret_cast<Ranked*>(workspace_.get(slot_idx, heap_bytes));
    int64_t heap_size = 0;
    float chunk[kChunk];
    const std::byte* src = element_at(x, row_idx, 0);
    for_chunks(width, [&](int64_t c0, int64_t n) {
      load_floats(offset_bytes(src, x, c0), x.dtype, n, chunk);
      for (int64_t i = 0; i < n; ++i) {
        const Ranked candidate{chunk[i], static_cast<int32_t>(c0 + i)};
        if (heap_size < k) {
          heap[heap_size++] = candidate;
          std::push_heap(heap, heap + heap_size, ranked_before);
        } else if (ranked_before(candidate, heap[0])) {
          std::pop_heap(heap, heap + heap_size, ranked_before);
          heap[heap_size - 1] = candidate;
          std::push_heap(heap, heap + heap_size, ranked_before);
        }
      }
    });
    std::sort_heap(heap, heap + heap_size, ranked_before);
    for (int64_t rank_idx = 0; rank_idx < k; ++rank_idx) {
      store_float(element_at(values, row_idx, rank_idx), tensor::DType::kF32, heap[rank_idx].value);
      store_i32(element_at(indices, row_idx, rank_idx), heap[rank_idx].idx);
    }
  });
  return base::Status();
}

base::Status CpuOps::argmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_RETURN_IF_ERROR(check_stream("argmax", stream, kCpu));
  FOVEA_RETURN_IF_ERROR(check_argmax(kCpu, x, out));
  for_vectors(x.dim(0), x.dim(1), [&](int64_t begin, int64_t end) {
    float chunk[kChunk];
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      Ranked best{0.0f, -1};
      const std::byte* src = element_at(x, row_idx, 0);
      for_chunks(x.dim(1), [&](int64_t c0, int64_t n) {
        load_floats(offset_bytes(src, x, c0), x.dtype, n, chunk);
        for (int64_t i = 0; i < n; ++i) {
          const Ranked candidate{chunk[i], static_cast<int32_t>(c0 + i)};
          if (best.idx < 0 || ranked_before(candidate, best)) best = candidate;
        }
      });
      store_i32(element_at(out, row_idx, 0), best.idx);
    }
  });
  return base::Status();
}

}  // namespace fovea::backend::cpu
