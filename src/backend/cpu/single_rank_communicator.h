// SingleRankCommunicator: the world of one rank (TP=1) on any backend. A sum over one rank is the tensor itself
// and a gather over one rank is a copy, so the model calls the same collectives at TP=1 as at TP=N and pays
// nothing for them. Must not contain multi-rank logic.
#pragma once

#include <atomic>

#include "backend/backend.h"
#include "backend/communicator.h"

namespace fovea::backend::cpu {

class SingleRankCommunicator final : public Communicator {
 public:
  // `backend` (not owned) must outlive the communicator; its copy() serves all_gather_last_dim.
  explicit SingleRankCommunicator(Backend& backend) : backend_(&backend) {}

  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  Device device() const override { return backend_->device(); }
  std::string_view name() const override { return "single-rank"; }

  base::Status all_reduce_sum(Stream& stream, const Tensor& tensor) override;
  base::Status all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                   const Tensor& output) override;
  base::Status barrier(Stream& stream) override;
  base::Status health() override { return check_not_aborted("health"); }
  void abort() override { aborted_.store(true); }

 private:
  base::Status check_not_aborted(std::string_view op) const;

  Backend* backend_;  // not owned
  std::atomic<bool> aborted_{false};
};

}  // namespace fovea::backend::cpu
