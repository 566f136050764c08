// The argument checks every Communicator runs, and create_communicators: a single-rank communicator for one
// backend, thread communicators for several CPU backends, NCCL (CUDA builds) for several CUDA cards. Must not
// contain collective implementations.
#include "backend/communicator.h"

#include <algorithm>
#include <set>
#include <string>

#include "backend/cpu/single_rank_communicator.h"
#include "backend/cpu/thread_communicator.h"
#include "backend/op_checks.h"

#if defined(FOVEA_HAS_CUDA)
#include "backend/cuda/nccl_communicator.h"
#endif

namespace fovea::backend {
namespace {

using base::Status;

Status check_packed(std::string_view op, std::string_view name, const Tensor& t) {
  if (t.is_packed()) return Status();
  return base::invalid_argument("{}: {} is a strided view; pass a packed tensor (copy it first)", op, name);
}

Status check_writable(std::string_view op, std::string_view name, const Tensor& t) {
  if (!t.buffer->read_only()) return Status();
  return base::invalid_argument("{}: {} lies in a read-only buffer; pass a writable one", op, name);
}

}  // namespace

Status check_all_reduce(const Communicator& comm, const Stream& stream, const Tensor& tensor) {
  constexpr std::string_view kOp = "all_reduce_sum";
  FOVEA_RETURN_IF_ERROR(check_stream(kOp, stream, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "tensor", tensor, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_writable(kOp, "tensor", tensor));
  FOVEA_RETURN_IF_ERROR(check_packed(kOp, "tensor", tensor));
  if (!is_activation_dtype(tensor.dtype)) {
    return base::invalid_argument("{}: tensor has dtype {}; pass f32, bf16 or f16", kOp,
                                  tensor::dtype_name(tensor.dtype));
  }
  return Status();
}

Status check_all_gather_last_dim(const Communicator& comm, const Stream& stream, const Tensor& input,
                                 const Tensor& staging, const Tensor& output) {
  constexpr std::string_view kOp = "all_gather_last_dim";
  FOVEA_RETURN_IF_ERROR(check_stream(kOp, stream, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "input", input, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "output", output, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_writable(kOp, "output", output));
  FOVEA_RETURN_IF_ERROR(check_packed(kOp, "input", input));
  FOVEA_RETURN_IF_ERROR(check_packed(kOp, "output", output));
  if (input.rank() != 2) {
    return base::invalid_argument("{}: input has shape {}; it must be [rows, cols]", kOp, input.shape.to_string());
  }
  const tensor::Shape expected({input.dim(0), input.dim(1) * comm.world_size()});
  if (output.shape != expected || output.dtype != input.dtype) {
    return base::invalid_argument("{}: output is {} {}; with {} ranks it must be {} {}", kOp,
                                  tensor::dtype_name(output.dtype), output.shape.to_string(), comm.world_size(),
                                  tensor::dtype_name(input.dtype), expected.to_string());
  }
  if (views_overlap(input, output)) {
    return base::invalid_argument("{}: output overlaps input; pass disjoint memory", kOp);
  }
  const bool needs_staging = comm.world_size() > 1 && input.dim(0) > 1;
  if (!needs_staging) return Status();
  FOVEA_RETURN_IF_ERROR(check_view(kOp, "staging", staging, comm.device()));
  FOVEA_RETURN_IF_ERROR(check_writable(kOp, "staging", staging));
  FOVEA_RETURN_IF_ERROR(check_packed(kOp, "staging", staging));
  if (staging.dtype != input.dtype || staging.numel() != output.numel()) {
    return base::invalid_argument("{}: staging is {} {}; it must hold {} elements of {}", kOp,
                                  tensor::dtype_name(staging.dtype), staging.shape.to_string(), output.numel(),
                                  tensor::dtype_name(input.dtype));
  }
  if (views_overlap(staging, input) || views_overlap(staging, output)) {
    return base::invalid_argument("{}: staging overlaps input or output; pass disjoint memory", kOp);
  }
  return Status();
}

base::Result<std::vector<std::unique_ptr<Communicator>>> create_communicators(
    std::span<Backend* const> backends, [[maybe_unused]] SmallAllReduce small_all_reduce) {
  if (backends.empty()) return base::invalid_argument("create_communicators: pass at least one backend");
  std::vector<std::unique_ptr<Communicator>> communicators;
  if (backends.size() == 1) {
    communicators.push_back(std::make_unique<cpu::SingleRankCommunicator>(*backends[0]));
    return communicators;
  }
  const bool all_cpu = std::all_of(backends.begin(), backends.end(),
                                   [](Backend* backend) { return backend->device().kind == DeviceKind::kCpu; });
  // Ranks on the CPU are threads sharing host memory (tests and machines without GPUs); the device may repeat.
  if (all_cpu) return cpu::create_thread_communicators(backends);
  std::set<int> cards;
  for (size_t rank_idx = 0; rank_idx < backends.size(); ++rank_idx) {
    const Backend* backend = backends[rank_idx];
    if (backend->device().kind != DeviceKind::kCuda) {
      return base::invalid_argument(
          "--tensor-parallel-size {} needs every rank on a CUDA GPU (or every rank on the CPU), but rank {} is on {}; "
          "use --device cuda",
          backends.size(), rank_idx, device_name(backend->device()));
    }
    if (!cards.insert(backend->device().index).second) {
      return base::invalid_argument("--tensor-parallel-size {}: two ranks are on {}; give each rank its own GPU",
                                    backends.size(), device_name(backend->device()));
    }
  }
#if defined(FOVEA_HAS_CUDA)
  return cuda::create_nccl_communicators(backends, small_all_reduce);
#else
  return base::unsupported(
      "--tensor-parallel-size {} needs NCCL on CUDA GPUs, and this build has no CUDA; rebuild with -DFOVEA_CUDA=ON",
      backends.size());
#endif
}

}  // namespace fovea::backend
