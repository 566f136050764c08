// PeerAllReduce: the one-shot all-reduce of small messages between the GPUs of one process over peer-to-peer
// memory (the idea of vLLM's custom all-reduce), one object shared by every rank's NcclCommunicator. Each rank owns a
// peer-visible staging buffer and flag area; one kernel per rank stages its input, signals the peers and sums every
// rank's staging in rank order, so all ranks end with the same bits. Must not contain NCCL or model code.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/cuda/peer_all_reduce_args.h"
#include "base/status.h"

namespace fovea::backend::cuda {

class PeerAllReduce {
 public:
  // Bytes of one staging half, the largest message the kernel takes before the world-size limit below.
  static constexpr size_t kHalfBytes = size_t{8} << 20;
  // The flags and state at the start of each rank's allocation, padded so the staging halves start 4 KiB aligned.
  static constexpr size_t kControlBytes = 4096;
  // Device memory create() allocates on each card: the control area and two staging halves (16 MiB + 4 KiB). The
  // memory planner counts the same bytes (plan::kPeerAllReduceBytes; tests/multi_gpu/peer_all_reduce_test.cpp
  // checks that the two agree).
  static constexpr size_t kDeviceBytesPerRank = kControlBytes + 2 * kHalfBytes;
  // The most ranks create() takes, and the most it takes over PCIe (more need NVLink).
  static constexpr int kMaxRanks = PeerAllReduceArgs::kMaxRanks;
  static constexpr int kMaxPcieRanks = 2;

  // The shared state of the ranks on `devices` (rank r on devices[r], 2 to kMaxRanks distinct cards): enables
  // peer access between every pair and allocates each rank's staging and flags on its card. kUnavailable (with the
  // reason) when some pair cannot reach each other's memory, or, above two GPUs, is not joined by NVLink; other
  // CUDA failures as their error. Leaves the calling thread's current device as it found it.
  static base::Result<std::shared_ptr<PeerAllReduce>> create(std::span<const int> devices);

  ~PeerAllReduce();
  PeerAllReduce(const PeerAllReduce&) = delete;
  PeerAllReduce& operator=(const PeerAllReduce&) = delete;

  int world_size() const { return static_cast<int>(ranks_.size()); }
  // The largest message (bytes) the kernel takes; larger ones go to NCCL. One-shot reads (world_size - 1) copies
  // of the message per rank, so the limit falls as the world grows (NCCL's ring moves less data per rank).
  size_t limit_bytes() const { return limit_bytes_; }
  // Whether a message of `numel` elements of `element_bytes` each goes through the kernel.
  bool takes(int64_t numel, size_t element_bytes) const;

  // Enqueues rank `rank_idx`'s share of the all-reduce of the packed tensor at `data` (elem_type as in
  // PeerAllReduceArgs); every rank must enqueue the same sequence of sizes on one stream each. Capturable in a CUDA
  // graph (the arguments never change between replays; the kernel advances its own epoch on the device).
  base::Status enqueue(int rank_idx, void* data, int elem_type, int64_t numel, cudaStream_t stream);

  // Makes every rank's waiting kernel give up, now and from now on (any thread).
  void abort();
  bool aborted() const;
  // Whether a kernel of `rank_idx` stopped waiting because of abort() (its output is not a sum).
  bool gave_up(int rank_idx) const;

 private:
  struct RankMemory {
    int device = 0;
    std::byte* base = nullptr;  // owned cudaMalloc on `device`: flags and state, then the two staging halves
  };
  PeerAllReduce() = default;

  std::vector<RankMemory> ranks_;
  uint32_t* host_words_ = nullptr;    // owned cudaHostAlloc (mapped, portable): [abort, error of rank 0..N-1]
  uint32_t* device_words_ = nullptr;  // the same words as the kernels address them (equal under UVA)
  size_t limit_bytes_ = 0;
  int num_blocks_max_ = 0;  // min(kMaxBlocks, the smallest SM count): the same grid on every rank
};

}  // namespace fovea::backend::cuda
