// Communicator: the collective operations tensor parallelism needs between the ranks of one model (one rank per
// GPU, one thread per rank: docs/TENSOR_PARALLEL.md), enqueued on a rank's stream like any op. A world of one rank
// (SingleRankCommunicator) makes every call the identity, so TP=1 runs the same code path as TP=N.
// Must not contain CUDA or NCCL types, or model code (which tensors are reduced is the model's business).
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "backend/device.h"
#include "backend/stream.h"
#include "backend/tensor.h"
#include "base/status.h"

namespace fovea::backend {

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual Device device() const = 0;
  // "single-rank", "nccl".
  virtual std::string_view name() const = 0;

  // Every rank's `tensor` becomes the element-wise sum over all ranks, in place. bf16, f16 or f32, packed, the same
  // shape on every rank (the partial outputs of a row-parallel Linear). A collective: every rank must call it, in
  // the same order, or the ranks that did wait forever (until abort()).
  virtual base::Status all_reduce_sum(Stream& stream, const Tensor& tensor) = 0;

  // Concatenates every rank's `input` [rows, cols] along the last dim into `output` [rows, world_size * cols] on
  // every rank, rank r's block at columns [r * cols, (r + 1) * cols): the vocabulary-parallel logits. `staging`
  // is [world_size * rows * cols] of the same dtype (the collective lands rank-major there, then each block is
  // copied into its columns); it may be empty when rows is 1. Any dtype; input and output packed, not overlapping.
  virtual base::Status all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                           const Tensor& output) = 0;

  // Returns once every rank has reached this call and everything enqueued on `stream` before it has finished.
  virtual base::Status barrier(Stream& stream) = 0;

  // An error a collective hit after it was enqueued (a peer failed, a transport broke); ok while healthy. An
  // engine that waits on a step polls it so a failed rank is noticed instead of hanging the others.
  virtual base::Status health() = 0;

  // Ends this rank's communicator from any thread, so a rank blocked in a collective whose peers have failed
  // returns (with an error) instead of waiting forever. Afterwards every call fails. Safe to call twice.
  virtual void abort() = 0;
};

// Argument checks every implementation runs first, so all of them refuse the same calls with the same messages.
base::Status check_all_reduce(const Communicator& comm, const Stream& stream, const Tensor& tensor);
base::Status check_all_gather_last_dim(const Communicator& comm, const Stream& stream, const Tensor& input,
                                       const Tensor& staging, const Tensor& output);

// Which path small all-reduces take between CUDA GPUs (the other worlds have one path and ignore it).
// kPeerWherePossible, the default: a one-shot peer-to-peer kernel (cuda/peer_all_reduce.h, vLLM's custom
// all-reduce) where every pair of cards reaches each other's memory, unless FOVEA_CUSTOM_ALL_REDUCE=0; NCCL otherwise.
// kNcclOnly: NCCL for every size (--disable-custom-all-reduce).
enum class SmallAllReduce { kPeerWherePossible, kNcclOnly };

// One communicator per backend (rank r drives backends[r]), for a world of backends.size() ranks in this process.
// One backend: a SingleRankCommunicator (any device, no NCCL). Several CPU backends: ThreadCommunicators (ranks are
// threads sharing host memory; tests). Several: CUDA backends on distinct cards joined by
// NCCL (opened at run time; NCCL_NVLS_ENABLE is set to 0 unless the environment already sets it), small all-reduces
// as `small_all_reduce` says. Call it from one thread before the rank threads start; each communicator is then used
// by its own rank's thread only.
base::Result<std::vector<std::unique_ptr<Communicator>>> create_communicators(
    std::span<Backend* const> backends, SmallAllReduce small_all_reduce = SmallAllReduce::kPeerWherePossible);

}  // namespace fovea::backend
