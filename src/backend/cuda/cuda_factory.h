// Creating the CUDA backend without CUDA headers: how many cards this process sees, and a backend for one of
// them by name ("cuda", "cuda:1"). In a build without FOVEA_CUDA both still link: the count is 0 and creation
// says how to get CUDA. Must not contain backend code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "backend/backend.h"
#include "base/status.h"

namespace fovea::backend::cuda {

// CUDA cards usable by this process; 0 without a CUDA build, a driver or a GPU.
int cuda_device_count();

// A CudaBackend on the card `device_spec` names: "cuda" (card 0) or "cuda:N".
base::Result<std::unique_ptr<Backend>> create_cuda_backend(std::string_view device_spec = "cuda");

// What a card is and how much of its memory is free now (for sizing a KV cache and for benchmark reports).
struct CudaDeviceInfo {
  std::string name;            // e.g. "NVIDIA H100 80GB HBM3"
  int compute_capability = 0;  // major * 10 + minor, e.g. 90
  int num_multiprocessors = 0;
  uint64_t total_bytes = 0;  // device memory
  uint64_t free_bytes = 0;   // free device memory at the time of the call (cudaMemGetInfo)
};

// The card `device_spec` names ("cuda", "cuda:N"); the same errors as create_cuda_backend.
base::Result<CudaDeviceInfo> cuda_device_info(std::string_view device_spec = "cuda");

// Per-op device timing of every CUDA backend in the process (diagnosis only: two events per op call, graph
// captures excluded). The report waits for the recorded ops, tabulates them per op and shape, and clears them.
// Without a CUDA build: nothing to turn on, and the report is empty.
void set_cuda_op_profiling(bool enabled);
std::string cuda_op_profile_report();

}  // namespace fovea::backend::cuda
