// NcclCommunicator: the Communicator of one rank over NCCL, for a world of CUDA backends in this process (one thread
// per GPU: docs/TENSOR_PARALLEL.md). Small all-reduces go through PeerAllReduce (peer_all_reduce.h) where every pair
// of cards reaches each other's memory. NCCL is opened with dlopen, so fovea runs without it at TP=1 and the build
// needs no NCCL package. Must not contain model code or thread management.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "backend/communicator.h"
#include "base/status.h"

namespace fovea::backend::cuda {

class PeerAllReduce;
struct NcclApi;
using NcclComm = struct NcclCommOpaque*;

class NcclCommunicator final : public Communicator {
 public:
  ~NcclCommunicator() override;

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  Device device() const override { return device_; }
  std::string_view name() const override { return "nccl"; }

  base::Status all_reduce_sum(Stream& stream, const Tensor& tensor) override;
  base::Status all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                   const Tensor& output) override;
  base::Status barrier(Stream& stream) override;
  base::Status health() override;
  void abort() override;

  // The largest all-reduce (bytes) that takes the peer-to-peer kernel; 0 when every all-reduce uses NCCL.
  size_t peer_all_reduce_limit_bytes() const;

 private:
  friend base::Result<std::vector<std::unique_ptr<Communicator>>> create_nccl_communicators(
      std::span<Backend* const> backends, SmallAllReduce small_all_reduce);
  NcclCommunicator(const NcclApi* api, NcclComm comm, int rank, int world_size, Device device, void* barrier_word,
                   std::shared_ptr<PeerAllReduce> peer)
      : api_(api),
        comm_(comm),
        rank_(rank),
        world_size_(world_size),
        device_(device),
        barrier_word_(barrier_word),
        peer_(std::move(peer)) {}

  base::Status begin(std::string_view op);
  base::Status nccl_status(int result, std::string_view what) const;

  const NcclApi* api_;  // the process-wide NCCL entry points, never unloaded
  NcclComm comm_;       // owned; destroyed (or aborted) with this rank
  int rank_;
  int world_size_;
  Device device_;
  void* barrier_word_;                   // [1] f32 device memory, owned: what barrier() all-reduces
  std::shared_ptr<PeerAllReduce> peer_;  // shared by the world's ranks; null when every all-reduce uses NCCL
  std::atomic<bool> aborted_{false};
};

// One communicator per backend (all CUDA, distinct cards), rank r on backends[r], through ncclCommInitAll. Sets
// NCCL_NVLS_ENABLE=0 in the environment first unless it is set: NVLink multicast can take a shared host's GPUs
// out of service. kUnavailable when libnccl.so.2 cannot be opened. Small all-reduces take PeerAllReduce unless
// `small_all_reduce` is kNcclOnly, FOVEA_CUSTOM_ALL_REDUCE is "0", or some pair of cards cannot reach each other's
// memory (one info line says which path runs and why).
base::Result<std::vector<std::unique_ptr<Communicator>>> create_nccl_communicators(
    std::span<Backend* const> backends, SmallAllReduce small_all_reduce = SmallAllReduce::kPeerWherePossible);

// NCCL's version as "2.28.9", or why it cannot be opened.
base::Result<std::string> nccl_version();

}  // namespace fovea::backend::cuda
