// Kernels of the element-by-element ops: embedding gather, scatter_rows, convert/GELU, SwiGLU, add, the rotary
// tables and rotation, and the KV-cache write. Each thread handles whole elements (rope: a rotation pair), so
// the in-place calls the op table allows are safe. Rounding follows docs/BACKEND.md; products and sums whose
// rounding the CPU reference fixes use the _rn intrinsics so nvcc cannot fuse them into an FMA.
// Must not contain validation or reductions.
#include <cstdint>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"
#include "backend/cuda/vector_kernels.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocksX = 4096;
constexpr int64_t kMaxBlocksY = 65535;

// Grid-stride loops over rows (y) and the columns of a row (x); op(row, col) handles one element.
template <typename Op>
__global__ void rows_kernel(int64_t num_rows, int64_t num_cols, Op op) {
  for (int64_t row = blockIdx.y; row < num_rows; row += gridDim.y) {
    for (int64_t col = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; col < num_cols;
         col += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      op(row, col);
    }
  }
}

template <typename Op>
cudaError_t launch_rows(int64_t num_rows, int64_t num_cols, const Op& op, cudaStream_t stream) {
  if (num_rows <= 0 || num_cols <= 0) return cudaSuccess;
  int64_t blocks_x = (num_cols + kThreads - 1) / kThreads;
  if (blocks_x > kMaxBlocksX) blocks_x = kMaxBlocksX;
  const int64_t blocks_y = num_rows < kMaxBlocksY ? num_rows : kMaxBlocksY;
  rows_kernel<<<dim3(static_cast<unsigned>(blocks_x), static_cast<unsigned>(blocks_y)), kThreads, 0, stream>>>(
      num_rows, num_cols, op);
  return cudaGetLastError();
}

struct EmbeddingOp {
  DeviceView table;
  const int32_t* ids;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const int32_t id = ids[row];
    // An id outside the table is an engine bug the device cannot report: the row becomes NaN instead of a stray
    // read.
    const float value = id >= 0 && id < table.num_rows ? load_at(table, id, col) : __int_as_float(0x7fc00000);
    store_at(out, row, col, value);
  }
};

struct EmbeddingRangeOp {
  DeviceView table;
  const int32_t* ids;
  int64_t vocab_begin;
  int64_t vocab_count;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const int64_t table_row = static_cast<int64_t>(ids[row]) - vocab_begin;
    // Another rank's id: a zero row, filled in by the all-reduce that follows.
    const float value = table_row >= 0 && table_row < vocab_count ? load_at(table, table_row, col) : 0.0f;
    store_at(out, row, col, value);
  }
};

struct ScatterOp {
  DeviceView src;
  const int32_t* row_indices;
  bool accumulate;
  DeviceView dst;
  __device__ void operator()(int64_t row, int64_t col) const {
    const int32_t dst_row = row_indices[row];
    if (dst_row < 0 || dst_row >= dst.num_rows) return;  // engine bug: skip rather than write astray
    float value = load_at(src, row, col);
    if (accumulate) value = __fadd_rn(value, load_at(dst, dst_row, col));
    store_at(dst, dst_row, col, value);
  }
};

__device__ float gelu_tanh(float x) {
  constexpr float kBeta = 0.7978845608028654f;  // sqrt(2 / pi)
  constexpr float kKappa = 0.044715f;
  const float inner = kBeta * (x + kKappa * (x * x * x));
  return 0.5f * x * (1.0f + tanhf(inner));
}

__device__ float gelu_erf(float x) {
  constexpr float kSqrtHalf = 0.7071067811865476f;
  return x * 0.5f * (1.0f + erff(x * kSqrtHalf));
}

struct UnaryOp {
  UnaryKind kind;
  DeviceView x;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    float value = load_at(x, row, col);
    if (kind == UnaryKind::kGeluTanh) value = gelu_tanh(value);
    if (kind == UnaryKind::kGeluErf) value = gelu_erf(value);
    store_at(out, row, col, value);
  }
};

struct SwigluOp {
  DeviceView gate;
  DeviceView up;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const float g = load_at(gate, row, col);
    const float silu = round_to(gate.type, __fdiv_rn(g, __fadd_rn(1.0f, expf(-g))));
    store_at(out, row, col, __fmul_rn(silu, load_at(up, row, col)));
  }
};

struct AddOp {
  DeviceView a;
  DeviceView b;
  int64_t broadcast_dim;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const float b_value = broadcast_dim > 0 ? load_elem(b.data, col % broadcast_dim, b.type) : load_at(b, row, col);
    store_at(out, row, col, __fadd_rn(load_at(a, row, col), b_value));
  }
};

// HF inverse frequency 1 / theta^(2j / dim): the exponent and the power in fp32, the power taken in fp64 as the
// CPU reference does.
__device__ float rope_inv_freq(float theta, int j, int dim) {
  const float exponent = __fdiv_rn(static_cast<float>(2 * j), static_cast<float>(dim));
  const float power = static_cast<float>(pow(static_cast<double>(theta), static_cast<double>(exponent)));
  return __fdiv_rn(1.0f, power);
}

// Axis (0 = t, 1 = h, 2 = w) of frequency j in Qwen3-VL's interleaved MRoPE.
__device__ int mrope_axis(int j, const int* section) {
  if (j % 3 == 1 && j < 3 * section[1]) return 1;
  if (j % 3 == 2 && j < 3 * section[2]) return 2;
  return 0;
}

// RopeKind values (op_params.h): kLinear 0, kInterleavedMrope 1, kVision2d 2.
constexpr int kRopeLinear = 0;
constexpr int kRopeMrope = 1;

struct RopeCosSinOp {
  RopeCosSinArgs args;
  __device__ void operator()(int64_t token_idx, int64_t j64) const {
    const int j = static_cast<int>(j64);
    const int half = args.rotary_dim / 2;
    float angle = 0.0f;
    if (args.kind == kRopeLinear || args.kind == kRopeMrope) {
      const int axis = args.kind == kRopeMrope ? mrope_axis(j, args.mrope_section) : 0;
      const int32_t position = args.positions[axis * args.axis_stride + token_idx];
      angle = __fmul_rn(static_cast<float>(position), rope_inv_freq(args.theta, j, args.rotary_dim));
    } else {
      // Vision 2D: the first half of the angles from the row, the second from the column, quarter frequencies.
      const int quarter = args.rotary_dim / 4;
      const int axis = j < quarter ? 0 : 1;
      const int32_t position = args.positions[axis * args.axis_stride + token_idx];
      angle = __fmul_rn(static_cast<float>(position), rope_inv_freq(args.theta, j % quarter, half));
    }
    const float cos_value = static_cast<float>(cos(static_cast<double>(angle)));
    const float sin_value = static_cast<float>(sin(static_cast<double>(angle)));
    store_at(args.cos, token_idx, j, cos_value);
    store_at(args.cos, token_idx, j + half, cos_value);
    store_at(args.sin, token_idx, j, sin_value);
    store_at(args.sin, token_idx, j + half, sin_value);
  }
};

// One rotation pair (j, j + D/2) of one head per call; both outputs are written after both inputs are read.
struct RopeApplyOp {
  RopeApplyArgs args;
  __device__ void operator()(int64_t token_idx, int64_t pair_idx) const {
    const int half = args.head_dim / 2;
    const int head_idx = static_cast<int>(pair_idx / half);
    const int j = static_cast<int>(pair_idx % half);
    const int64_t col = static_cast<int64_t>(head_idx) * args.head_dim + j;
    const ElemType arith = args.fp32_arithmetic ? ElemType::kF32 : args.x.type;
    const float x_lo = load_at(args.x, token_idx, col);
    const float x_hi = load_at(args.x, token_idx, col + half);
    const float c_lo = round_to(arith, load_at(args.cos, token_idx, j));
    const float s_lo = round_to(arith, load_at(args.sin, token_idx, j));
    const float c_hi = round_to(arith, load_at(args.cos, token_idx, j + half));
    const float s_hi = round_to(arith, load_at(args.sin, token_idx, j + half));
    // rotate_half(x) = (-x_hi, x_lo)
    const float out_lo = __fadd_rn(round_to(arith, __fmul_rn(x_lo, c_lo)), round_to(arith, __fmul_rn(-x_hi, s_lo)));
    const float out_hi = __fadd_rn(round_to(arith, __fmul_rn(x_hi, c_hi)), round_to(arith, __fmul_rn(x_lo, s_hi)));
    store_at(args.out, token_idx, col, out_lo);
    store_at(args.out, token_idx, col + half, out_hi);
  }
};

struct KvWriteOp {
  KvWriteArgs args;
  int64_t num_slots;
  __device__ void operator()(int64_t token_idx, int64_t col) const {
    const int32_t slot = args.slots[token_idx];
    if (slot < 0 || slot >= num_slots) return;  // padding (negative) or an engine bug (past the cache)
    const int64_t block_idx = slot / args.block_size;
    const int64_t inner = (slot % args.block_size) * args.k.row_numel + col;
    float k_value = load_at(args.k, token_idx, col);
    float v_value = load_at(args.v, token_idx, col);
    if (args.k_cache.type == ElemType::kF8E4M3) {
      k_value = __fdiv_rn(k_value, args.k_scale);
      v_value = __fdiv_rn(v_value, args.v_scale);
    }
    store_at(args.k_cache, block_idx, inner, k_value);
    store_at(args.v_cache, block_idx, inner, v_value);
  }
};

// f32 cos/sin rows whose 8-float pieces are 16-byte aligned.
bool table_vector_ok(const DeviceView& v) {
  return v.type == ElemType::kF32 && (reinterpret_cast<uintptr_t>(v.data) & 15u) == 0 &&
         (v.num_rows <= 1 || v.stride_rows % 4 == 0);
}

bool rope_vector_ok(const RopeApplyArgs& args) {
  return args.head_dim % 16 == 0 && vector_view_ok(args.x) && vector_view_ok(args.out) &&
         args.out.type == args.x.type && table_vector_ok(args.cos) && table_vector_ok(args.sin);
}

}  // namespace

cudaError_t launch_embedding(const DeviceView& table, const int32_t* ids, const DeviceView& out, cudaStream_t stream) {
  return launch_rows(out.num_rows, out.row_numel, EmbeddingOp{table, ids, out}, stream);
}

cudaError_t launch_embedding_range(const DeviceView& table, const int32_t* ids, int64_t vocab_begin,
                                   int64_t vocab_count, const DeviceView& out, cudaStream_t stream) {
  return launch_rows(out.num_rows, out.row_numel, EmbeddingRangeOp{table, ids, vocab_begin, vocab_count, out}, stream);
}

cudaError_t launch_scatter_rows(const DeviceView& src, const int32_t* row_indices, bool accumulate,
                                const DeviceView& dst, cudaStream_t stream) {
  return launch_rows(src.num_rows, src.row_numel, ScatterOp{src, row_indices, accumulate, dst}, stream);
}

cudaError_t launch_unary(UnaryKind kind, const DeviceView& x, const DeviceView& out, cudaStream_t stream) {
  return launch_rows(x.num_rows, x.row_numel, UnaryOp{kind, x, out}, stream);
}

cudaError_t launch_swiglu(const DeviceView& gate, const DeviceView& up, const DeviceView& out, cudaStream_t stream) {
  if (vector_view_ok(gate) && vector_view_ok(up) && vector_view_ok(out) && up.type == gate.type &&
      out.type == gate.type) {
    return launch_swiglu_vector(gate, up, out, stream);
  }
  return launch_rows(gate.num_rows, gate.row_numel, SwigluOp{gate, up, out}, stream);
}

cudaError_t launch_add(const DeviceView& a, const DeviceView& b, int64_t broadcast_dim, const DeviceView& out,
                       cudaStream_t stream) {
  if (broadcast_dim == 0 && vector_view_ok(a) && vector_view_ok(b) && vector_view_ok(out) && b.type == a.type &&
      out.type == a.type) {
    return launch_add_vector(a, b, out, stream);
  }
  return launch_rows(a.num_rows, a.row_numel, AddOp{a, b, broadcast_dim, out}, stream);
}

cudaError_t launch_rope_cos_sin(const RopeCosSinArgs& args, cudaStream_t stream) {
  return launch_rows(args.num_tokens, args.rotary_dim / 2, RopeCosSinOp{args}, stream);
}

cudaError_t launch_rope_apply(const RopeApplyArgs& args, cudaStream_t stream) {
  if (rope_vector_ok(args)) return launch_rope_apply_vector(args, stream);
  return launch_rows(args.x.num_rows, static_cast<int64_t>(args.num_heads) * (args.head_dim / 2), RopeApplyOp{args},
                     stream);
}

cudaError_t launch_kv_cache_write(const KvWriteArgs& args, cudaStream_t stream) {
  if (vector_view_ok(args.k) && vector_view_ok(args.v) && vector_view_ok(args.k_cache) && vector_view_ok(args.v_cache) &&
      args.v.type == args.k.type && args.k_cache.type == args.k.type && args.v_cache.type == args.k.type) {
    return launch_kv_cache_write_vector(args, stream);
  }
  const int64_t num_slots = args.k_cache.num_rows * args.block_size;
  return launch_rows(args.k.num_rows, args.k.row_numel, KvWriteOp{args, num_slots}, stream);
}

}  // namespace fovea::backend::cuda
