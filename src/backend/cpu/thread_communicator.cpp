// ThreadCommunicator: a generation barrier with abort, and the collectives as "publish, meet, read, meet": the
// second rendezvous keeps every input alive and unchanged until all ranks have read it.
#include "backend/cpu/thread_communicator.h"

#include <cstring>

#include "backend/cpu/element_io.h"
#include "backend/op_checks.h"

namespace fovea::backend::cpu {

ThreadWorld::ThreadWorld(int world_size)
    : world_size_(world_size), published_(static_cast<size_t>(world_size), nullptr) {}

bool ThreadWorld::arrive_and_wait() {
  std::unique_lock lock(mutex_);
  if (aborted_.load()) return false;
  const uint64_t generation = generation_;
  if (++num_waiting_ == world_size_) {
    num_waiting_ = 0;
    ++generation_;
    arrived_.notify_all();
    return true;
  }
  arrived_.wait(lock, [&] { return generation_ != generation || aborted_.load(); });
  return generation_ != generation;
}

void ThreadWorld::abort() {
  {
    // Under the lock, so a rank between its predicate check and its wait cannot miss the wake-up.
    const std::lock_guard lock(mutex_);
    aborted_.store(true);
  }
  arrived_.notify_all();
}

ThreadCommunicator::ThreadCommunicator(Backend& backend, std::shared_ptr<ThreadWorld> world, int rank)
    : backend_(&backend), world_(std::move(world)), rank_(rank) {}

base::Status ThreadCommunicator::aborted_error(std::string_view op) const {
  return base::make_error(base::StatusCode::kFailedPrecondition,
                          "{}: rank {}'s communicator was aborted after a failure on some rank; restart the engine", op,
                          rank_);
}

base::Status ThreadCommunicator::rendezvous(std::string_view op) {
  if (world_->arrive_and_wait()) return base::Status();
  return aborted_error(op);
}

base::Status ThreadCommunicator::health() {
  if (world_->aborted()) return aborted_error("health");
  return base::Status();
}

base::Status ThreadCommunicator::all_reduce_sum(Stream& stream, const Tensor& tensor) {
  constexpr std::string_view kOp = "all_reduce_sum";
  if (world_->aborted()) return aborted_error(kOp);
  FOVEA_RETURN_IF_ERROR(check_all_reduce(*this, stream, tensor));
  const int64_t numel = tensor.numel();
  const int64_t element_bytes = tensor.element_size_bytes();
  std::byte* data = tensor.host_bytes();
  world_->publish(rank_, data);
  FOVEA_RETURN_IF_ERROR(rendezvous(kOp));
  sum_.assign(static_cast<size_t>(numel), 0.0f);
  for (int peer = 0; peer < world_size(); ++peer) {
    const std::byte* peer_data = world_->published(peer);
    for (int64_t idx = 0; idx < numel; ++idx) {
      sum_[static_cast<size_t>(idx)] += load_float(peer_data + idx * element_bytes, tensor.dtype);
    }
  }
  // Nobody writes before every rank has read every input.
  FOVEA_RETURN_IF_ERROR(rendezvous(kOp));
  for (int64_t idx = 0; idx < numel; ++idx) {
    store_float(data + idx * element_bytes, tensor.dtype, sum_[static_cast<size_t>(idx)]);
  }
  return base::Status();
}

base::Status ThreadCommunicator::all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                                     const Tensor& output) {
  constexpr std::string_view kOp = "all_gather_last_dim";
  if (world_->aborted()) return aborted_error(kOp);
  FOVEA_RETURN_IF_ERROR(check_all_gather_last_dim(*this, stream, input, staging, output));
  const int64_t rows = input.dim(0);
  const auto block_bytes = static_cast<size_t>(input.dim(1) * input.element_size_bytes());
  world_->publish(rank_, input.host_bytes());
  FOVEA_RETURN_IF_ERROR(rendezvous(kOp));
  std::byte* out = output.host_bytes();
  for (int64_t row = 0; row < rows; ++row) {
    for (int peer = 0; peer < world_size(); ++peer) {
      const std::byte* src = world_->published(peer) + static_cast<size_t>(row) * block_bytes;
      std::memcpy(out + (static_cast<size_t>(row) * static_cast<size_t>(world_size()) + static_cast<size_t>(peer)) *
                            block_bytes,
                  src, block_bytes);
    }
  }
  return rendezvous(kOp);
}

base::Status ThreadCommunicator::barrier(Stream& stream) {
  constexpr std::string_view kOp = "barrier";
  if (world_->aborted()) return aborted_error(kOp);
  FOVEA_RETURN_IF_ERROR(check_stream(kOp, stream, device()));
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  return rendezvous(kOp);
}

std::vector<std::unique_ptr<Communicator>> create_thread_communicators(std::span<Backend* const> backends) {
  auto world = std::make_shared<ThreadWorld>(static_cast<int>(backends.size()));
  std::vector<std::unique_ptr<Communicator>> communicators;
  for (size_t rank = 0; rank < backends.size(); ++rank) {
    communicators.push_back(std::make_unique<ThreadCommunicator>(*backends[rank], world, static_cast<int>(rank)));
  }
  return communicators;
}

}  // namespace fovea::backend::cpu
