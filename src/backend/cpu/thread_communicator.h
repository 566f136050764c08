// ThreadCommunicator: N tensor-parallel ranks that are threads of one process on CPU backends (tests and machines
// without GPUs): the collectives go through shared host memory and a rendezvous of the N threads. Deterministic:
// every rank adds the ranks' values in rank order in f32 and rounds once, so every rank ends with the same bytes
// (NCCL's bf16 / f16 result may round differently; both are within one rounding of the exact sum).
// Must not contain CUDA, NCCL or model code.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "backend/communicator.h"

namespace fovea::backend::cpu {

// What the ranks of one world share: the rendezvous and each rank's published pointer.
class ThreadWorld {
 public:
  explicit ThreadWorld(int world_size);

  int world_size() const { return world_size_; }

  // Blocks until every rank has arrived (generation barrier); false when the world was aborted before or while
  // waiting (then every waiting rank returns false at once).
  bool arrive_and_wait();
  void abort();
  bool aborted() const { return aborted_.load(); }

  // Each rank's input for the collective in flight; written before the first rendezvous of a collective, read
  // between it and the second.
  void publish(int rank, const std::byte* data) { published_[static_cast<size_t>(rank)] = data; }
  const std::byte* published(int rank) const { return published_[static_cast<size_t>(rank)]; }

 private:
  const int world_size_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  int num_waiting_ = 0;      // guarded by mutex_
  uint64_t generation_ = 0;  // guarded by mutex_
  std::atomic<bool> aborted_{false};
  std::vector<const std::byte*> published_;  // [world_size]
};

class ThreadCommunicator final : public Communicator {
 public:
  // `backend` (not owned) is this rank's CPU backend; `world` is shared by the ranks.
  ThreadCommunicator(Backend& backend, std::shared_ptr<ThreadWorld> world, int rank);

  int rank() const override { return rank_; }
  int world_size() const override { return world_->world_size(); }
  Device device() const override { return backend_->device(); }
  std::string_view name() const override { return "threads"; }

  // In rank order, in f32, rounded once to the tensor's dtype.
  base::Status all_reduce_sum(Stream& stream, const Tensor& tensor) override;
  // `staging` is checked as for NCCL but not used (the ranks read each other's input directly).
  base::Status all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                   const Tensor& output) override;
  base::Status barrier(Stream& stream) override;
  base::Status health() override;
  // Aborts the whole world: every rank blocked in a collective, and every later call of any rank, fails.
  void abort() override { world_->abort(); }

 private:
  base::Status aborted_error(std::string_view op) const;
  // The rendezvous of `op`: an error when the world is aborted.
  base::Status rendezvous(std::string_view op);

  Backend* backend_;  // not owned
  std::shared_ptr<ThreadWorld> world_;
  int rank_;
  std::vector<float> sum_;  // the reduced values before they are written back
};

// One communicator per backend (all CPU), rank r for backends[r], sharing one world.
std::vector<std::unique_ptr<Communicator>> create_thread_communicators(std::span<Backend* const> backends);

}  // namespace fovea::backend::cpu
