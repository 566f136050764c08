// The kernel of PeerAllReduce: each block stages its share of the local tensor in this rank's peer-visible buffer,
// posts a ticket in every rank's flag area, waits for every rank's ticket for the same block, then sums that share
// over all ranks' buffers in rank order 0..N-1 in fp32 and writes it back rounded once. Must not contain host
// allocation or NCCL.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/peer_all_reduce_args.h"

namespace fovea::backend::cuda {
namespace {

// Why one barrier per call is enough. Tickets are epoch + 1; a block reads epoch at its start and the last block to
// finish advances it, so every kernel of a rank has its own epoch, the same on every rank (all ranks run the same
// sequence). Call k stages in half k % 2. A rank in call k + 2 overwrites half k % 2 only after its call k + 1
// finished, and each block of call k + 1 saw some peer's ticket k + 2 (epoch k + 1), posted from the peer's kernel
// k + 1, which starts after the peer's kernel k (and all its reads of half k % 2) completed. A ticket newer than
// the one awaited therefore also proves the awaited data was staged, so the wait is "at least", not "equal".
// Every block of a grid is resident at once (the grid is at most the smallest SM count), so block b of each rank
// always runs to its ticket: the wait cannot deadlock while every rank enqueues the same calls.
constexpr int kMaxRanks = PeerAllReduceArgs::kMaxRanks;
constexpr int kMaxBlocks = PeerAllReduceArgs::kMaxBlocks;
constexpr uint32_t kSpinsPerAbortCheck = 1024;  // the abort word is host memory: read it now and then

__device__ __forceinline__ void store_release_system(uint32_t* address, uint32_t value) {
  asm volatile("st.release.sys.global.u32 [%0], %1;" ::"l"(address), "r"(value) : "memory");
}

__device__ __forceinline__ uint32_t load_acquire_system(const uint32_t* address) {
  uint32_t value = 0;
  asm volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(value) : "l"(address) : "memory");
  return value;
}

// Element formats as their raw bits: 16 bytes hold kPack of them.
struct F32 {
  using Bits = float;
  static constexpr int kPack = 4;
  __device__ static float to_float(Bits bits) { return bits; }
  __device__ static Bits from_float(float value) { return value; }
};

struct BF16 {
  using Bits = uint16_t;
  static constexpr int kPack = 8;
  __device__ static float to_float(Bits bits) { return __bfloat162float(__ushort_as_bfloat16(bits)); }
  __device__ static Bits from_float(float value) { return __bfloat16_as_ushort(__float2bfloat16_rn(value)); }
};

struct F16 {
  using Bits = uint16_t;
  static constexpr int kPack = 8;
  __device__ static float to_float(Bits bits) { return __half2float(__ushort_as_half(bits)); }
  __device__ static Bits from_float(float value) { return __half_as_ushort(__float2half_rn(value)); }
};

// 16 bytes of the tensor at `elems`, which is 16-byte aligned only when `aligned` (each rank decides for its own
// tensor; the split of the work into units never depends on it, so the ranks always agree on it).
template <typename E>
__device__ __forceinline__ uint4 load_pack(const typename E::Bits* elems, bool aligned) {
  if (aligned) return *reinterpret_cast<const uint4*>(elems);
  uint4 pack;
  auto* bits = reinterpret_cast<typename E::Bits*>(&pack);
#pragma unroll
  for (int idx = 0; idx < E::kPack; ++idx) bits[idx] = elems[idx];
  return pack;
}

template <typename E>
__device__ __forceinline__ void store_pack(typename E::Bits* elems, bool aligned, const uint4& pack) {
  if (aligned) {
    *reinterpret_cast<uint4*>(elems) = pack;
    return;
  }
  const auto* bits = reinterpret_cast<const typename E::Bits*>(&pack);
#pragma unroll
  for (int idx = 0; idx < E::kPack; ++idx) elems[idx] = bits[idx];
}

// Units are 16-byte packs (numel / kPack of them), then the numel % kPack tail elements one by one; block b's units
// are b * kThreads + t + j * gridDim.x * kThreads in both phases, so a block reads only what the same block of each
// rank staged. Staging is read with ld.global.cg (L2, never a line an earlier kernel left in L1).
template <typename E>
__global__ void __launch_bounds__(PeerAllReduceArgs::kThreads) peer_all_reduce_kernel(const PeerAllReduceArgs args) {
  using Bits = typename E::Bits;
  constexpr int kPack = E::kPack;
  __shared__ uint32_t epoch_shared;
  if (threadIdx.x == 0) epoch_shared = *reinterpret_cast<volatile uint32_t*>(args.state);
  __syncthreads();
  const uint32_t epoch = epoch_shared;
  const uint32_t ticket = epoch + 1;
  const size_t half_offset = (epoch & 1u) * args.half_bytes;

  auto* data = static_cast<Bits*>(args.data);
  const bool aligned = (reinterpret_cast<uintptr_t>(data) & 15u) == 0;
  const int64_t num_packs = args.numel / kPack;
  const int64_t num_units = num_packs + args.numel % kPack;
  const int64_t first_unit = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t unit_step = static_cast<int64_t>(gridDim.x) * blockDim.x;

  auto* mine = reinterpret_cast<Bits*>(args.staging[args.rank] + half_offset);
  for (int64_t unit = first_unit; unit < num_units; unit += unit_step) {
    if (unit < num_packs) {
      *reinterpret_cast<uint4*>(mine + unit * kPack) = load_pack<E>(data + unit * kPack, aligned);
    } else {
      const int64_t idx = num_packs * kPack + (unit - num_packs);
      mine[idx] = data[idx];
    }
  }
  // The block's staging stores happen before thread t's release below (bar.sync, then a cumulative release).
  __syncthreads();
  if (threadIdx.x < args.world_size) {
    store_release_system(args.flags[threadIdx.x] + args.rank * kMaxBlocks + blockIdx.x, ticket);
    const uint32_t* posted = args.flags[args.rank] + threadIdx.x * kMaxBlocks + blockIdx.x;
    uint32_t spins = 0;
    while (static_cast<int32_t>(load_acquire_system(posted) - ticket) < 0) {
      if (++spins < kSpinsPerAbortCheck) continue;
      spins = 0;
      if (*reinterpret_cast<const volatile uint32_t*>(args.abort_word) != 0) {
        *reinterpret_cast<volatile uint32_t*>(args.error_word) = 1;
        break;
      }
    }
  }
  __syncthreads();

  for (int64_t unit = first_unit; unit < num_units; unit += unit_step) {
    if (unit < num_packs) {
      uint4 packs[kMaxRanks];
#pragma unroll
      for (int rank = 0; rank < kMaxRanks; ++rank) {
        if (rank < args.world_size) {
          packs[rank] = __ldcg(reinterpret_cast<const uint4*>(args.staging[rank] + half_offset) + unit);
        }
      }
      float sums[kPack];
      const auto* bits0 = reinterpret_cast<const Bits*>(&packs[0]);
#pragma unroll
      for (int idx = 0; idx < kPack; ++idx) sums[idx] = E::to_float(bits0[idx]);
#pragma unroll
      for (int rank = 1; rank < kMaxRanks; ++rank) {
        if (rank < args.world_size) {
          const auto* bits = reinterpret_cast<const Bits*>(&packs[rank]);
#pragma unroll
          for (int idx = 0; idx < kPack; ++idx) sums[idx] += E::to_float(bits[idx]);
        }
      }
      uint4 out;
      auto* out_bits = reinterpret_cast<Bits*>(&out);
#pragma unroll
      for (int idx = 0; idx < kPack; ++idx) out_bits[idx] = E::from_float(sums[idx]);
      store_pack<E>(data + unit * kPack, aligned, out);
    } else {
      const int64_t idx = num_packs * kPack + (unit - num_packs);
      float sum = E::to_float(__ldcg(reinterpret_cast<const Bits*>(args.staging[0] + half_offset) + idx));
      for (int rank = 1; rank < args.world_size; ++rank) {
        sum += E::to_float(__ldcg(reinterpret_cast<const Bits*>(args.staging[rank] + half_offset) + idx));
      }
      data[idx] = E::from_float(sum);
    }
  }

  // The last block to finish moves this rank to the next epoch; the next kernel on the stream reads it.
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(args.state + 1, 1u) == gridDim.x - 1) {
      reinterpret_cast<volatile uint32_t*>(args.state)[1] = 0;
      reinterpret_cast<volatile uint32_t*>(args.state)[0] = epoch + 1;
    }
  }
}

}  // namespace

cudaError_t launch_peer_all_reduce(const PeerAllReduceArgs& args, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(args.num_blocks));
  const dim3 block(PeerAllReduceArgs::kThreads);
  switch (args.elem_type) {
    case 0:
      peer_all_reduce_kernel<F32><<<grid, block, 0, stream>>>(args);
      break;
    case 1:
      peer_all_reduce_kernel<BF16><<<grid, block, 0, stream>>>(args);
      break;
    default:
      peer_all_reduce_kernel<F16><<<grid, block, 0, stream>>>(args);
      break;
  }
  return cudaGetLastError();
}

}  // namespace fovea::backend::cuda
