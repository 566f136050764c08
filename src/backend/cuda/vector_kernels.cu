// 16-byte kernels of rms_norm, rope_apply, swiglu, add and kv_cache_write for bf16/f16 (see vector_kernels.h).
// Element math copies the scalar kernels (elementwise_kernels.cu, norm_kernels.cu): the _rn intrinsics and the
// roundings to the activation dtype in the same places. Must not contain validation.
#include "backend/cuda/vector_kernels.h"

#include <cstdint>
#include <cstdlib>

#include "backend/cuda/device_math.cuh"

namespace fovea::backend::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 132 * 32;
constexpr int kVec = 8;  // elements per 16-byte access

// Eight elements of T in one 16-byte register group.
template <typename T>
struct Pack {
  uint4 raw;
  __device__ float get(int i) const { return Elem<T>::load(reinterpret_cast<const T*>(&raw) + i); }
  __device__ void set(int i, float value) { Elem<T>::store(reinterpret_cast<T*>(&raw) + i, value); }
};

template <typename T>
__device__ __forceinline__ Pack<T> load_pack(const void* base, int64_t idx) {
  return Pack<T>{*reinterpret_cast<const uint4*>(static_cast<const T*>(base) + idx)};
}

template <typename T>
__device__ __forceinline__ void store_pack(void* base, int64_t idx, const Pack<T>& pack) {
  *reinterpret_cast<uint4*>(static_cast<T*>(base) + idx) = pack.raw;
}

int64_t grid_for(int64_t work) {
  const int64_t blocks = (work + kThreads - 1) / kThreads;
  return blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks);
}

// Grid-stride over (row, 8-element chunk) pairs.
template <typename Op>
__global__ void chunks_kernel(int64_t num_rows, int64_t chunks_per_row, Op op) {
  const int64_t total = num_rows * chunks_per_row;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    op(idx / chunks_per_row, (idx % chunks_per_row) * kVec);
  }
}

template <typename Op>
cudaError_t launch_chunks(int64_t num_rows, int64_t chunks_per_row, const Op& op, cudaStream_t stream) {
  const int64_t total = num_rows * chunks_per_row;
  if (total <= 0) return cudaSuccess;
  chunks_kernel<<<static_cast<unsigned>(grid_for(total)), kThreads, 0, stream>>>(num_rows, chunks_per_row, op);
  return cudaGetLastError();
}

template <typename T>
struct SwigluVec {
  DeviceView gate;
  DeviceView up;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const Pack<T> g = load_pack<T>(gate.data, row * gate.stride_rows + col);
    const Pack<T> u = load_pack<T>(up.data, row * up.stride_rows + col);
    Pack<T> result;
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
      const float x = g.get(i);
      const float silu = Elem<T>::round(__fdiv_rn(x, __fadd_rn(1.0f, expf(-x))));
      result.set(i, __fmul_rn(silu, u.get(i)));
    }
    store_pack<T>(out.data, row * out.stride_rows + col, result);
  }
};

template <typename T>
struct AddVec {
  DeviceView a;
  DeviceView b;
  DeviceView out;
  __device__ void operator()(int64_t row, int64_t col) const {
    const Pack<T> x = load_pack<T>(a.data, row * a.stride_rows + col);
    const Pack<T> y = load_pack<T>(b.data, row * b.stride_rows + col);
    Pack<T> result;
#pragma unroll
    for (int i = 0; i < kVec; ++i) result.set(i, __fadd_rn(x.get(i), y.get(i)));
    store_pack<T>(out.data, row * out.stride_rows + col, result);
  }
};

// Eight f32 values from a 16-byte aligned address.
__device__ __forceinline__ void load_floats(const float* p, float (&out)[kVec]) {
  const float4 first = reinterpret_cast<const float4*>(p)[0];
  const float4 second = reinterpret_cast<const float4*>(p)[1];
  out[0] = first.x;
  out[1] = first.y;
  out[2] = first.z;
  out[3] = first.w;
  out[4] = second.x;
  out[5] = second.y;
  out[6] = second.z;
  out[7] = second.w;
}

// One rotation chunk: pairs (j + i, j + i + D/2) for i < 8 of one head of one token.
template <typename T>
struct RopeVec {
  RopeApplyArgs args;
  int64_t chunks_per_head;
  __device__ void operator()(int64_t token_idx, int64_t chunk_col) const {
    const int64_t chunk = chunk_col / kVec;
    const int half = args.head_dim / 2;
    const int64_t head_idx = chunk / chunks_per_head;
    const int j = static_cast<int>(chunk % chunks_per_head) * kVec;
    const int64_t col = head_idx * args.head_dim + j;
    const ElemType arith = args.fp32_arithmetic ? ElemType::kF32 : args.x.type;
    const Pack<T> lo = load_pack<T>(args.x.data, token_idx * args.x.stride_rows + col);
    const Pack<T> hi = load_pack<T>(args.x.data, token_idx * args.x.stride_rows + col + half);
    const float* cos_row = static_cast<const float*>(args.cos.data) + token_idx * args.cos.stride_rows;
    const float* sin_row = static_cast<const float*>(args.sin.data) + token_idx * args.sin.stride_rows;
    float c_lo[kVec];
    float s_lo[kVec];
    float c_hi[kVec];
    float s_hi[kVec];
    load_floats(cos_row + j, c_lo);
    load_floats(sin_row + j, s_lo);
    load_floats(cos_row + j + half, c_hi);
    load_floats(sin_row + j + half, s_hi);
    Pack<T> out_lo;
    Pack<T> out_hi;
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
      const float x_lo = lo.get(i);
      const float x_hi = hi.get(i);
      const float cl = round_to(arith, c_lo[i]);
      const float sl = round_to(arith, s_lo[i]);
      const float ch = round_to(arith, c_hi[i]);
      const float sh = round_to(arith, s_hi[i]);
      // rotate_half(x) = (-x_hi, x_lo)
      out_lo.set(i, __fadd_rn(round_to(arith, __fmul_rn(x_lo, cl)), round_to(arith, __fmul_rn(-x_hi, sl))));
      out_hi.set(i, __fadd_rn(round_to(arith, __fmul_rn(x_hi, ch)), round_to(arith, __fmul_rn(x_lo, sh))));
    }
    store_pack<T>(args.out.data, token_idx * args.out.stride_rows + col, out_lo);
    store_pack<T>(args.out.data, token_idx * args.out.stride_rows + col + half, out_hi);
  }
};

template <typename T>
struct KvWriteVec {
  KvWriteArgs args;
  int64_t num_slots;
  __device__ void operator()(int64_t token_idx, int64_t col) const {
    const int32_t slot = args.slots[token_idx];
    if (slot < 0 || slot >= num_slots) return;  // padding (negative) or an engine bug (past the cache)
    const int64_t block_idx = slot / args.block_size;
    const int64_t inner = (slot % args.block_size) * args.k.row_numel + col;
    const Pack<T> k = load_pack<T>(args.k.data, token_idx * args.k.stride_rows + col);
    const Pack<T> v = load_pack<T>(args.v.data, token_idx * args.v.stride_rows + col);
    store_pack<T>(args.k_cache.data, block_idx * args.k_cache.stride_rows + inner, k);
    store_pack<T>(args.v_cache.data, block_idx * args.v_cache.stride_rows + inner, v);
  }
};

__device__ __forceinline__ int64_t vector_start(const DeviceView& v, int64_t vector_idx, int64_t dim) {
  const int64_t per_row = v.row_numel / dim;
  return (vector_idx / per_row) * v.stride_rows + (vector_idx % per_row) * dim;
}

__device__ __forceinline__ float inverse_rms(float sum_squares, int64_t dim, float eps) {
  const float mean_square = __fdiv_rn(sum_squares, static_cast<float>(dim));
  // The reference takes 1 / sqrt in fp64 of the fp32 mean + eps.
  return static_cast<float>(1.0 / sqrt(static_cast<double>(__fadd_rn(mean_square, eps))));
}

template <typename T>
__device__ __forceinline__ void rms_norm_store(const Pack<T>& x, const Pack<T>& w, float inv_rms, void* out,
                                               int64_t idx) {
  Pack<T> result;
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    const float normed = Elem<T>::round(__fmul_rn(x.get(i), inv_rms));
    result.set(i, __fmul_rn(w.get(i), normed));
  }
  store_pack<T>(out, idx, result);
}

template <typename T>
__device__ __forceinline__ float sum_squares(const Pack<T>& x) {
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kVec; ++i) sum += x.get(i) * x.get(i);
  return sum;
}

// Short vectors (dim / 8 <= 32 threads each, kGroup a power of two): several vectors per block, one lane group
// each, reduced by shuffles within the group.
template <typename T, int kGroup>
__global__ void rms_norm_small_kernel(DeviceView x, DeviceView weight, float eps, int64_t dim, int64_t num_vectors,
                                      DeviceView out) {
  const int64_t vector_idx = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / kGroup;
  const int lane = threadIdx.x % kGroup;
  const int64_t chunks = dim / kVec;
  const bool active = vector_idx < num_vectors && lane < chunks;
  Pack<T> value{make_uint4(0, 0, 0, 0)};
  int64_t x_start = 0;
  if (active) {
    x_start = vector_start(x, vector_idx, dim);
    value = load_pack<T>(x.data, x_start + lane * kVec);
  }
  float sum = active ? sum_squares(value) : 0.0f;
#pragma unroll
  for (int offset = kGroup / 2; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (!active) return;
  const Pack<T> w = load_pack<T>(weight.data, lane * kVec);
  rms_norm_store(value, w, inverse_rms(sum, dim, eps), out.data, vector_start(out, vector_idx, dim) + lane * kVec);
}

// Long vectors: one block per vector, one 8-element chunk per thread held in registers across the reduction.
template <typename T>
__global__ void rms_norm_large_kernel(DeviceView x, DeviceView weight, float eps, int64_t dim, DeviceView out) {
  __shared__ float scratch[32];
  const int64_t vector_idx = blockIdx.x;
  const int64_t chunk = threadIdx.x;
  const bool active = chunk * kVec < dim;
  Pack<T> value{make_uint4(0, 0, 0, 0)};
  if (active) value = load_pack<T>(x.data, vector_start(x, vector_idx, dim) + chunk * kVec);
  const float sum = block_sum(active ? sum_squares(value) : 0.0f, scratch);
  if (!active) return;
  const Pack<T> w = load_pack<T>(weight.data, chunk * kVec);
  rms_norm_store(value, w, inverse_rms(sum, dim, eps), out.data, vector_start(out, vector_idx, dim) + chunk * kVec);
}

template <typename T, int kGroup>
cudaError_t launch_rms_small(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                             int64_t num_vectors, const DeviceView& out, cudaStream_t stream) {
  const int64_t blocks = (num_vectors * kGroup + kThreads - 1) / kThreads;
  rms_norm_small_kernel<T, kGroup>
      <<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(x, weight, eps, dim, num_vectors, out);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_rms_typed(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                             const DeviceView& out, cudaStream_t stream) {
  const int64_t num_vectors = x.num_rows * (x.row_numel / dim);
  const int64_t chunks = dim / kVec;
  if (chunks <= 1) return launch_rms_small<T, 1>(x, weight, eps, dim, num_vectors, out, stream);
  if (chunks <= 2) return launch_rms_small<T, 2>(x, weight, eps, dim, num_vectors, out, stream);
  if (chunks <= 4) return launch_rms_small<T, 4>(x, weight, eps, dim, num_vectors, out, stream);
  if (chunks <= 8) return launch_rms_small<T, 8>(x, weight, eps, dim, num_vectors, out, stream);
  if (chunks <= 16) return launch_rms_small<T, 16>(x, weight, eps, dim, num_vectors, out, stream);
  if (chunks <= 32) return launch_rms_small<T, 32>(x, weight, eps, dim, num_vectors, out, stream);
  const int threads = static_cast<int>((chunks + 31) / 32 * 32);
  rms_norm_large_kernel<T><<<static_cast<unsigned>(num_vectors), threads, 0, stream>>>(x, weight, eps, dim, out);
  return cudaGetLastError();
}

}  // namespace

bool vector_view_ok(const DeviceView& v) {
  // Read once: FOVEA_CUDA_SCALAR_OPS=1 keeps every op on the scalar kernels.
  static const bool disabled = [] {
    const char* value = std::getenv("FOVEA_CUDA_SCALAR_OPS");
    return value != nullptr && value[0] == '1';
  }();
  if (disabled) return false;
  if (v.type != ElemType::kBF16 && v.type != ElemType::kF16) return false;
  if ((reinterpret_cast<uintptr_t>(v.data) & 15u) != 0) return false;
  return v.row_numel % kVec == 0 && (v.num_rows <= 1 || v.stride_rows % kVec == 0);
}

cudaError_t launch_swiglu_vector(const DeviceView& gate, const DeviceView& up, const DeviceView& out,
                                 cudaStream_t stream) {
  const int64_t chunks = gate.row_numel / kVec;
  if (gate.type == ElemType::kBF16) {
    return launch_chunks(gate.num_rows, chunks, SwigluVec<__nv_bfloat16>{gate, up, out}, stream);
  }
  return launch_chunks(gate.num_rows, chunks, SwigluVec<__half>{gate, up, out}, stream);
}

cudaError_t launch_add_vector(const DeviceView& a, const DeviceView& b, const DeviceView& out, cudaStream_t stream) {
  const int64_t chunks = a.row_numel / kVec;
  if (a.type == ElemType::kBF16) return launch_chunks(a.num_rows, chunks, AddVec<__nv_bfloat16>{a, b, out}, stream);
  return launch_chunks(a.num_rows, chunks, AddVec<__half>{a, b, out}, stream);
}

cudaError_t launch_rms_norm_vector(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                                   const DeviceView& out, cudaStream_t stream) {
  if (x.num_rows == 0 || dim == 0) return cudaSuccess;
  if (x.type == ElemType::kBF16) return launch_rms_typed<__nv_bfloat16>(x, weight, eps, dim, out, stream);
  return launch_rms_typed<__half>(x, weight, eps, dim, out, stream);
}

cudaError_t launch_rope_apply_vector(const RopeApplyArgs& args, cudaStream_t stream) {
  const int64_t chunks_per_head = args.head_dim / 2 / kVec;
  const int64_t chunks = static_cast<int64_t>(args.num_heads) * chunks_per_head;
  if (args.x.type == ElemType::kBF16) {
    return launch_chunks(args.x.num_rows, chunks, RopeVec<__nv_bfloat16>{args, chunks_per_head}, stream);
  }
  return launch_chunks(args.x.num_rows, chunks, RopeVec<__half>{args, chunks_per_head}, stream);
}

cudaError_t launch_kv_cache_write_vector(const KvWriteArgs& args, cudaStream_t stream) {
  const int64_t num_slots = args.k_cache.num_rows * args.block_size;
  const int64_t chunks = args.k.row_numel / kVec;
  if (args.k.type == ElemType::kBF16) {
    return launch_chunks(args.k.num_rows, chunks, KvWriteVec<__nv_bfloat16>{args, num_slots}, stream);
  }
  return launch_chunks(args.k.num_rows, chunks, KvWriteVec<__half>{args, num_slots}, stream);
}

}  // namespace fovea::backend::cuda
