// cuda_factory: device count and backend creation by name; compiled with or without FOVEA_CUDA.
#include "backend/cuda/cuda_factory.h"

#include <charconv>

#if defined(FOVEA_HAS_CUDA)
#include <cuda_runtime_api.h>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/op_profiler.h"
#endif

namespace fovea::backend::cuda {
namespace {

// "cuda" -> 0, "cuda:N" -> N; -1 for anything else.
int parse_device_index(std::string_view spec) {
  if (spec == "cuda") return 0;
  constexpr std::string_view kPrefix = "cuda:";
  if (spec.substr(0, kPrefix.size()) != kPrefix) return -1;
  const std::string_view digits = spec.substr(kPrefix.size());
  int index = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() || index < 0) return -1;
  return index;
}

}  // namespace

#if defined(FOVEA_HAS_CUDA)

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: not an error for callers that only ask
    return 0;
  }
  return count;
}

namespace {

// The card index of a valid name of a card this process sees.
base::Result<int> checked_device_index(std::string_view device_spec) {
  const int index = parse_device_index(device_spec);
  if (index < 0) {
    return base::invalid_argument("device '{}' is not a CUDA device name; pass cuda or cuda:N", device_spec);
  }
  const int count = cuda_device_count();
  if (index >= count) {
    return base::make_error(base::StatusCode::kUnavailable,
                            "device '{}' is not available: this machine has {} usable CUDA device(s); pass --device "
                            "cpu or another card",
                            device_spec, count);
  }
  return index;
}

}  // namespace

base::Result<std::unique_ptr<Backend>> create_cuda_backend(std::string_view device_spec) {
  FOVEA_ASSIGN_OR_RETURN(int index, checked_device_index(device_spec));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CudaBackend> backend, CudaBackend::create(index));
  return std::unique_ptr<Backend>(std::move(backend));
}

base::Result<CudaDeviceInfo> cuda_device_info(std::string_view device_spec) {
  FOVEA_ASSIGN_OR_RETURN(int index, checked_device_index(device_spec));
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) {
    return base::make_error(base::StatusCode::kUnavailable, "device '{}': cannot read its properties ({})", device_spec,
                            cudaGetErrorString(cudaGetLastError()));
  }
  CudaDeviceInfo info;
  info.name = prop.name;
  info.compute_capability = prop.major * 10 + prop.minor;
  info.num_multiprocessors = prop.multiProcessorCount;
  info.total_bytes = prop.totalGlobalMem;
  int current = 0;
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  // cudaMemGetInfo reports on the current card: switch to this one for the call and back.
  if (cudaGetDevice(&current) != cudaSuccess || cudaSetDevice(index) != cudaSuccess ||
      cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess || cudaSetDevice(current) != cudaSuccess) {
    return base::make_error(base::StatusCode::kUnavailable, "device '{}': cannot read its free memory ({})",
                            device_spec, cudaGetErrorString(cudaGetLastError()));
  }
  info.free_bytes = free_bytes;
  return info;
}

void set_cuda_op_profiling(bool enabled) { OpProfiler::instance().set_enabled(enabled); }

std::string cuda_op_profile_report() { return OpProfiler::instance().report(); }

#else

int cuda_device_count() { return 0; }

void set_cuda_op_profiling(bool /*enabled*/) {}

std::string cuda_op_profile_report() { return {}; }

base::Result<CudaDeviceInfo> cuda_device_info(std::string_view device_spec) {
  if (parse_device_index(device_spec) < 0) {
    return base::invalid_argument("device '{}' is not a CUDA device name; pass cuda or cuda:N", device_spec);
  }
  return base::unsupported("device '{}': this fovea build has no CUDA backend; rebuild with -DFOVEA_CUDA=ON",
                           device_spec);
}

base::Result<std::unique_ptr<Backend>> create_cuda_backend(std::string_view device_spec) {
  if (parse_device_index(device_spec) < 0) {
    return base::invalid_argument("device '{}' is not a CUDA device name; pass cuda or cuda:N", device_spec);
  }
  return base::unsupported(
      "device '{}': this fovea build has no CUDA backend; rebuild with -DFOVEA_CUDA=ON or pass "
      "--device cpu",
      device_spec);
}

#endif

}  // namespace fovea::backend::cuda
