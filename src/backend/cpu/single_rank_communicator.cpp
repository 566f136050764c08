// SingleRankCommunicator: identity collectives for TP=1, with the same argument checks as NCCL's so a model that
// passes them at TP=1 passes them at TP=N.
#include "backend/cpu/single_rank_communicator.h"

#include "backend/op_checks.h"

namespace fovea::backend::cpu {

base::Status SingleRankCommunicator::check_not_aborted(std::string_view op) const {
  if (!aborted_.load()) return base::Status();
  return base::make_error(base::StatusCode::kFailedPrecondition,
                          "{}: the communicator was aborted after a failure; restart the engine", op);
}

base::Status SingleRankCommunicator::all_reduce_sum(Stream& stream, const Tensor& tensor) {
  FOVEA_RETURN_IF_ERROR(check_not_aborted("all_reduce_sum"));
  return check_all_reduce(*this, stream, tensor);
}

base::Status SingleRankCommunicator::all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                                         const Tensor& output) {
  FOVEA_RETURN_IF_ERROR(check_not_aborted("all_gather_last_dim"));
  FOVEA_RETURN_IF_ERROR(check_all_gather_last_dim(*this, stream, input, staging, output));
  return backend_->copy(stream, input, output);
}

base::Status SingleRankCommunicator::barrier(Stream& stream) {
  FOVEA_RETURN_IF_ERROR(check_not_aborted("barrier"));
  FOVEA_RETURN_IF_ERROR(check_stream("barrier", stream, device()));
  return backend_->synchronize(stream);
}

}  // namespace fovea::backend::cpu
