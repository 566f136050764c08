// Creating the CUDA backend without CUDA headers: how many cards this process sees, and a backend for one of
// them by name ("cuda", "cuda:1"). In a build without FOVEA_CUDA both still link: the count is 0 and creation
// says how to get CUDA. Must not contain backend code.
#pragma once

#include <memory>
#include <string_view>

#include "backend/backend.h"
#include "base/status.h"

namespace fovea::backend::cuda {

// CUDA cards usable by this process; 0 without a CUDA build, a driver or a GPU.
int cuda_device_count();

// A CudaBackend on the card `device_spec` names: "cuda" (card 0) or "cuda:N".
base::Result<std::unique_ptr<Backend>> create_cuda_backend(std::string_view device_spec = "cuda");

}  // namespace fovea::backend::cuda
