// The NVIDIA GPUs of this machine as the kernel driver lists them (/proc/driver/nvidia/gpus/*/information), read
// without CUDA so that `fovea check` can plan for the cards it runs on. Must not contain catalogue lookups or CUDA
// calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::plan {

// Where the NVIDIA driver lists its GPUs, one folder per PCI address.
inline constexpr const char* kNvidiaProcGpusDir = "/proc/driver/nvidia/gpus";

// The model name of one GPU from an `information` file ("Model:  NVIDIA GeForce RTX 4090"); nullopt when the text
// has no non-empty Model line.
std::optional<std::string> gpu_model_from_proc_information(std::string_view text);

// The model names of the GPUs under `gpus_dir`, in PCI-address order; empty when there is no NVIDIA driver.
std::vector<std::string> local_gpu_models(const std::string& gpus_dir = kNvidiaProcGpusDir);

}  // namespace fovea::plan
