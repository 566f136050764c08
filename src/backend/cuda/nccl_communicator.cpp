// NcclCommunicator over the slice of NCCL's C ABI fovea calls (nccl.h, stable across NCCL 2.x), opened with dlopen
// like NVML (nvml_gpu_telemetry.cpp); all-reduces up to PeerAllReduce's limit take its kernel instead. Where nccl.h
// is on the include path the constants are checked against it. Must not contain model code or thread management.
#include "backend/cuda/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "backend/cuda/cuda_stream.h"
#include "backend/cuda/cuda_util.h"
#include "backend/cuda/peer_all_reduce.h"
#include "backend/op_checks.h"
#include "base/log.h"

#if __has_include(<nccl.h>)
#include <nccl.h>
#define FOVEA_HAS_NCCL_HEADER 1
#endif

namespace fovea::backend::cuda {

// NCCL's C ABI as fovea uses it: results and enums are ints, a communicator is an opaque pointer, a unique id 128
// bytes passed by value.
using NcclResult = int;
constexpr NcclResult kNcclSuccess = 0;
constexpr int kNcclUint8 = 1;
constexpr int kNcclFloat16 = 6;
constexpr int kNcclFloat32 = 7;
constexpr int kNcclBfloat16 = 9;
constexpr int kNcclSum = 0;

#if defined(FOVEA_HAS_NCCL_HEADER)
static_assert(kNcclSuccess == ncclSuccess && kNcclUint8 == ncclUint8 && kNcclFloat16 == ncclFloat16 &&
                  kNcclFloat32 == ncclFloat32 && kNcclBfloat16 == ncclBfloat16 && kNcclSum == ncclSum,
              "nccl.h disagrees with the ABI slice of nccl_communicator.cpp");
#endif

struct NcclApi {
  NcclResult (*get_version)(int* version) = nullptr;
  NcclResult (*comm_init_all)(NcclComm* comms, int num_devices, const int* device_list) = nullptr;
  NcclResult (*comm_destroy)(NcclComm comm) = nullptr;
  NcclResult (*comm_abort)(NcclComm comm) = nullptr;
  NcclResult (*comm_get_async_error)(NcclComm comm, NcclResult* async_error) = nullptr;
  const char* (*get_error_string)(NcclResult result) = nullptr;
  NcclResult (*all_reduce)(const void* send, void* recv, size_t count, int dtype, int op, NcclComm comm,
                           cudaStream_t stream) = nullptr;
  NcclResult (*all_gather)(const void* send, void* recv, size_t send_count, int dtype, NcclComm comm,
                           cudaStream_t stream) = nullptr;
};

namespace {

using base::Status;

template <typename Fn>
bool bind(void* library, const char* symbol, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  return fn != nullptr;
}

// The process-wide NCCL, opened once and never closed (NCCL keeps proxy threads alive until exit).
base::Result<const NcclApi*> open_nccl() {
  static std::once_flag once;
  static NcclApi api;
  static std::string error;
  std::call_once(once, [] {
    void* library = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) library = dlopen("libnccl.so", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      error = fmt::format(
          "tensor parallelism needs NCCL, and libnccl.so.2 could not be opened ({}); install NCCL 2.x or add its "
          "lib folder to LD_LIBRARY_PATH",
          dlerror());
      return;
    }
    const bool bound =
        bind(library, "ncclGetVersion", api.get_version) && bind(library, "ncclCommInitAll", api.comm_init_all) &&
        bind(library, "ncclCommDestroy", api.comm_destroy) && bind(library, "ncclCommAbort", api.comm_abort) &&
        bind(library, "ncclCommGetAsyncError", api.comm_get_async_error) &&
        bind(library, "ncclGetErrorString", api.get_error_string) && bind(library, "ncclAllReduce", api.all_reduce) &&
        bind(library, "ncclAllGather", api.all_gather);
    if (!bound) error = "the NCCL library found lacks functions fovea needs; install NCCL 2.12 or newer";
  });
  if (!error.empty()) return base::make_error(base::StatusCode::kUnavailable, "{}", error);
  return &api;
}

int nccl_dtype(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kF16:
      return kNcclFloat16;
    case tensor::DType::kBF16:
      return kNcclBfloat16;
    default:
      return kNcclFloat32;  // check_all_reduce admits f32, bf16 and f16 only
  }
}

// PeerAllReduceArgs::elem_type.
int peer_elem_type(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return 1;
    case tensor::DType::kF16:
      return 2;
    default:
      return 0;  // f32: check_all_reduce admits f32, bf16 and f16 only
  }
}

// The peer kernel is the default (it passed its two-GPU checks); FOVEA_CUSTOM_ALL_REDUCE=0 turns it off for programs
// without serve flags (bench-engine, tests). Unset or any other value: on.
bool custom_all_reduce_disabled_by_environment() {
  const char* value = std::getenv("FOVEA_CUSTOM_ALL_REDUCE");
  return value != nullptr && std::string_view(value) == "0";
}

// The world's PeerAllReduce, or null (NCCL for every size) with the reason in one log line.
std::shared_ptr<PeerAllReduce> create_peer_all_reduce(std::span<const int> devices, SmallAllReduce small_all_reduce) {
  if (devices.size() < 2) return nullptr;
  if (small_all_reduce == SmallAllReduce::kNcclOnly) {
    FOVEA_LOG_INFO("all-reduce: NCCL for every size (--disable-custom-all-reduce)");
    return nullptr;
  }
  if (custom_all_reduce_disabled_by_environment()) {
    FOVEA_LOG_INFO("all-reduce: NCCL for every size (FOVEA_CUSTOM_ALL_REDUCE=0)");
    return nullptr;
  }
  base::Result<std::shared_ptr<PeerAllReduce>> peer = PeerAllReduce::create(devices);
  if (!peer.ok()) {
    if (peer.status().code() == base::StatusCode::kUnavailable) {
      FOVEA_LOG_INFO("all-reduce: {}; every all-reduce uses NCCL", peer.status().message());
    } else {
      FOVEA_LOG_WARN("all-reduce: the peer-to-peer all-reduce could not be set up ({}); every all-reduce uses NCCL",
                     peer.status().message());
    }
    cudaGetLastError();  // a failed allocation must not surface in the next launch check
    return nullptr;
  }
  FOVEA_LOG_INFO("all-reduce: one-shot peer-to-peer kernel up to {} KiB over {} GPUs, NCCL above",
                 (*peer)->limit_bytes() >> 10, devices.size());
  return std::move(peer).value();
}

cudaStream_t stream_handle(Stream& stream) { return static_cast<CudaStream&>(stream).handle(); }

const void* device_address(const Tensor& t) { return static_cast<const std::byte*>(t.buffer->data()) + t.offset_bytes; }
void* device_address_mut(const Tensor& t) { return static_cast<std::byte*>(t.buffer->data()) + t.offset_bytes; }

}  // namespace

NcclCommunicator::~NcclCommunicator() {
  if (!aborted_.exchange(true)) api_->comm_destroy(comm_);
  if (use_device(device_.index).ok()) cudaFree(barrier_word_);
}

Status NcclCommunicator::nccl_status(int result, std::string_view what) const {
  if (result == kNcclSuccess) return Status();
  return base::internal_error("nccl: {} on rank {} of {} ({}) failed: {}", what, rank_, world_size_,
                              device_name(device_), api_->get_error_string(result));
}

Status NcclCommunicator::begin(std::string_view op) {
  if (aborted_.load()) {
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "{}: the NCCL communicator was aborted after a failure; restart the engine", op);
  }
  return use_device(device_.index);
}

Status NcclCommunicator::all_reduce_sum(Stream& stream, const Tensor& tensor) {
  FOVEA_RETURN_IF_ERROR(begin("all_reduce_sum"));
  FOVEA_RETURN_IF_ERROR(check_all_reduce(*this, stream, tensor));
  if (tensor.numel() == 0) return Status();
  if (peer_ != nullptr && peer_->takes(tensor.numel(), static_cast<size_t>(tensor.element_size_bytes()))) {
    return peer_->enqueue(rank_, device_address_mut(tensor), peer_elem_type(tensor.dtype), tensor.numel(),
                          stream_handle(stream));
  }
  return nccl_status(
      api_->all_reduce(device_address(tensor), device_address_mut(tensor), static_cast<size_t>(tensor.numel()),
                       nccl_dtype(tensor.dtype), kNcclSum, comm_, stream_handle(stream)),
      "all_reduce_sum");
}

Status NcclCommunicator::all_gather_last_dim(Stream& stream, const Tensor& input, const Tensor& staging,
                                             const Tensor& output) {
  FOVEA_RETURN_IF_ERROR(begin("all_gather_last_dim"));
  FOVEA_RETURN_IF_ERROR(check_all_gather_last_dim(*this, stream, input, staging, output));
  if (input.numel() == 0) return Status();
  const size_t element_bytes = static_cast<size_t>(input.element_size_bytes());
  const auto num_rows = static_cast<size_t>(input.dim(0));
  const size_t shard_row_bytes = static_cast<size_t>(input.dim(1)) * element_bytes;
  const size_t shard_bytes = num_rows * shard_row_bytes;
  // One row: rank-major blocks are already the column blocks, so the collective writes the output directly.
  const bool direct = num_rows == 1;
  auto* landing = static_cast<std::byte*>(direct ? device_address_mut(output) : device_address_mut(staging));
  FOVEA_RETURN_IF_ERROR(nccl_status(
      api_->all_gather(device_address(input), landing, shard_bytes, kNcclUint8, comm_, stream_handle(stream)),
      "all_gather_last_dim"));
  if (direct) return Status();
  auto* out = static_cast<std::byte*>(device_address_mut(output));
  for (int rank_idx = 0; rank_idx < world_size_; ++rank_idx) {
    FOVEA_RETURN_IF_ERROR(
        cuda_status(cudaMemcpy2DAsync(out + static_cast<size_t>(rank_idx) * shard_row_bytes,
                                      shard_row_bytes * static_cast<size_t>(world_size_),
                                      landing + static_cast<size_t>(rank_idx) * shard_bytes, shard_row_bytes,
                                      shard_row_bytes, num_rows, cudaMemcpyDeviceToDevice, stream_handle(stream)),
                    "all_gather_last_dim: placing a rank's columns"));
  }
  return Status();
}

Status NcclCommunicator::barrier(Stream& stream) {
  FOVEA_RETURN_IF_ERROR(begin("barrier"));
  FOVEA_RETURN_IF_ERROR(check_stream("barrier", stream, device_));
  FOVEA_RETURN_IF_ERROR(nccl_status(
      api_->all_reduce(barrier_word_, barrier_word_, 1, kNcclFloat32, kNcclSum, comm_, stream_handle(stream)),
      "barrier"));
  return cuda_status(cudaStreamSynchronize(stream_handle(stream)), "barrier: waiting for the stream");
}

Status NcclCommunicator::health() {
  if (aborted_.load()) {
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "nccl: rank {}'s communicator was aborted after a failure; restart the engine", rank_);
  }
  if (peer_ != nullptr && peer_->gave_up(rank_)) {
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "all-reduce: rank {} stopped waiting for its peers after an abort; restart the engine",
                            rank_);
  }
  NcclResult async_error = kNcclSuccess;
  FOVEA_RETURN_IF_ERROR(nccl_status(api_->comm_get_async_error(comm_, &async_error), "reading the async error"));
  return nccl_status(async_error, "a collective in flight");
}

void NcclCommunicator::abort() {
  // First, so a peer kernel waiting for this rank returns even while ncclCommAbort takes its time.
  if (peer_ != nullptr) peer_->abort();
  if (!aborted_.exchange(true)) api_->comm_abort(comm_);
}

size_t NcclCommunicator::peer_all_reduce_limit_bytes() const { return peer_ != nullptr ? peer_->limit_bytes() : 0; }

base::Result<std::vector<std::unique_ptr<Communicator>>> create_nccl_communicators(std::span<Backend* const> backends,
                                                                                   SmallAllReduce small_all_reduce) {
  FOVEA_ASSIGN_OR_RETURN(const NcclApi* api, open_nccl());
  // Before NCCL reads its environment, and from the one thread that creates the ranks (setenv is not thread-safe).
  setenv("NCCL_NVLS_ENABLE", "0", /*overwrite=*/0);
  const int world_size = static_cast<int>(backends.size());
  std::vector<int> device_list;
  for (Backend* backend : backends) device_list.push_back(backend->device().index);
  int previous_device = 0;
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaGetDevice(&previous_device), "reading the current GPU"));

  std::vector<void*> barrier_words(backends.size(), nullptr);
  auto free_words = [&] {
    for (size_t rank_idx = 0; rank_idx < barrier_words.size(); ++rank_idx) {
      if (barrier_words[rank_idx] != nullptr && use_device(device_list[rank_idx]).ok())
        cudaFree(barrier_words[rank_idx]);
    }
    cudaSetDevice(previous_device);
  };
  for (size_t rank_idx = 0; rank_idx < backends.size(); ++rank_idx) {
    Status status = use_device(device_list[rank_idx]);
    if (status.ok()) {
      status = cuda_status(cudaMalloc(&barrier_words[rank_idx], sizeof(float)), "allocating the barrier word");
    }
    if (status.ok()) status = cuda_status(cudaMemset(barrier_words[rank_idx], 0, sizeof(float)), "zeroing it");
    if (!status.ok()) {
      free_words();
      return status;
    }
  }

  std::vector<NcclComm> comms(backends.size(), nullptr);
  const NcclResult init = api->comm_init_all(comms.data(), world_size, device_list.data());
  if (init != kNcclSuccess) {
    free_words();
    return base::make_error(base::StatusCode::kUnavailable,
                            "nccl: creating the communicators of {} GPUs failed: {}; run with NCCL_DEBUG=WARN for "
                            "NCCL's reason",
                            world_size, api->get_error_string(init));
  }
  std::shared_ptr<PeerAllReduce> peer = create_peer_all_reduce(device_list, small_all_reduce);
  cudaSetDevice(previous_device);
  std::vector<std::unique_ptr<Communicator>> communicators;
  for (int rank_idx = 0; rank_idx < world_size; ++rank_idx) {
    communicators.push_back(std::unique_ptr<Communicator>(new NcclCommunicator(
        api, comms[rank_idx], rank_idx, world_size, backends[rank_idx]->device(), barrier_words[rank_idx], peer)));
  }
  return communicators;
}

base::Result<std::string> nccl_version() {
  FOVEA_ASSIGN_OR_RETURN(const NcclApi* api, open_nccl());
  int code = 0;
  if (api->get_version(&code) != kNcclSuccess) return base::internal_error("nccl: ncclGetVersion failed");
  // NCCL_VERSION(X, Y, Z) is X * 10000 + Y * 100 + Z since 2.9 (X * 1000 + Y * 100 + Z before).
  if (code >= 10000) return fmt::format("{}.{}.{}", code / 10000, (code % 10000) / 100, code % 100);
  return fmt::format("{}.{}.{}", code / 1000, (code % 1000) / 100, code % 100);
}

}  // namespace fovea::backend::cuda
