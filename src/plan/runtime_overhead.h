// RuntimeOverhead: GPU memory a serving process holds besides weights, workspace and KV cache: the CUDA context,
// cuBLAS/cuBLASLt, NCCL's buffers and the peer-to-peer all-reduce's under tensor parallelism, instantiated CUDA graphs.
// The constants were measured on the lent H100/H200 machines (docs/PLAN.md says how). Must not contain model-dependent
// arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "plan/gpu_catalog.h"

namespace fovea::plan {

inline constexpr uint64_t kOverheadMiB = uint64_t{1} << 20;
// Used memory after cudaFree(0) in a C++ process (CUDA 13.0, driver 580.159, lazy module loading): 526.8 MiB on
// both an H100 80GB HBM3 and an H200.
inline constexpr uint64_t kCudaContextBytes = 527 * kOverheadMiB;
// cublasCreate + cublasLtCreate, then bf16 GEMMs (4096^3 and a 16-row one): 68 MiB, none added by the GEMMs.
inline constexpr uint64_t kCublasBytes = 68 * kOverheadMiB;
// One instantiated CUDA graph of 1024 kernel nodes (about one decode step of a 64-layer model): 16 of them took
// 40 MiB.
inline constexpr uint64_t kCudaGraphBytes = 5 * kOverheadMiB / 2;
// NCCL on a 2-GPU communicator, measured on GPU 0 after comm init and a first all-reduce: 860 MiB with P2P over
// NVLink (NVLS off), 404 MiB with P2P disabled (the shared-memory path GeForce cards without P2P take).
inline constexpr uint64_t kNcclNvlinkBytes = 860 * kOverheadMiB;
inline constexpr uint64_t kNcclPcieBytes = 404 * kOverheadMiB;
// The one-shot peer-to-peer all-reduce (vLLM's custom all-reduce; on at tp > 1 unless --disable-custom-all-reduce),
// allocated per GPU by PeerAllReduce::create (src/backend/cuda/peer_all_reduce.h, kDeviceBytesPerRank): 4 KiB of
// flags and state and two 8 MiB staging halves. Its GPU counts: 2 to 8, more than 2 only over NVLink. Copies, since
// plan may not include CUDA code: tests/multi_gpu/peer_all_reduce_test.cpp fails to compile if they drift.
inline constexpr uint64_t kPeerAllReduceBytes = 16 * kOverheadMiB + 4096;
inline constexpr int64_t kPeerAllReduceMaxRanks = 8;
inline constexpr int64_t kPeerAllReduceMaxPcieRanks = 2;

struct RuntimeOverhead {
  uint64_t cuda_context = 0;
  uint64_t cublas = 0;
  uint64_t nccl = 0;
  uint64_t peer_all_reduce = 0;  // the custom all-reduce's staging and flags
  uint64_t cuda_graphs = 0;
  int64_t num_cuda_graphs = 0;

  uint64_t total() const { return cuda_context + cublas + nccl + peer_all_reduce + cuda_graphs; }
};

// vLLM's decode batch sizes captured as CUDA graphs: 1, 2, 4, multiples of 8 up to 256, of 16 up to 512, none
// above max_num_seqs.
std::vector<int64_t> cuda_graph_batch_sizes(int64_t max_num_seqs);

// The peer all-reduce's bytes count at tp > 1 unless `disable_custom_all_reduce`, where the server would set it up:
// cards with peer access (GpuSpec::peer_access: not GeForce RTX 3090/4090/5090 pairs), up to kPeerAllReduceMaxRanks
// GPUs, above kPeerAllReduceMaxPcieRanks only over NVLink.
RuntimeOverhead runtime_overhead(const GpuSpec& gpu, int64_t tensor_parallel_size, int64_t max_num_seqs,
                                 bool enforce_eager, bool disable_custom_all_reduce);

}  // namespace fovea::plan
