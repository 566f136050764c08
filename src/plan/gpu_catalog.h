// GpuCatalog: the GPUs `fovea plan` knows by name, with the memory the driver reports as usable (cudaMemGetInfo's
// total, which is nvidia-smi's memory.total less the driver's reservation) and where each number comes from; and the
// parsing of `--gpu-memory` sizes. Must not contain planning arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::plan {

struct GpuSpec {
  std::string name;                  // as nvidia-smi prints it: "NVIDIA GeForce RTX 4090"
  std::vector<std::string> aliases;  // normalized lookup keys: "rtx4090", "4090", ...
  uint64_t memory_bytes = 0;         // usable total, as cudaMemGetInfo reports it
  std::string memory_source;         // where memory_bytes comes from (measured, published log, estimate)
  bool nvlink = false;               // GPUs of one host talk over NVLink (tensor-parallel buffers are larger)
  // Two of these cards in one host can read each other's memory (cudaDeviceCanAccessPeer): the peer all-reduce's
  // condition. GeForce RTX 4090/5090 drivers refuse peer-to-peer, so those pairs keep every all-reduce on NCCL.
  bool peer_access = true;
};

// Every entry of the built-in catalogue, in a stable order.
const std::vector<GpuSpec>& gpu_catalog();

// Finds a GPU by name or alias, ignoring case, spaces, '-' and '_' ("RTX 4090", "rtx4090", "4090", "h100-sxm").
// An unknown name is an error that lists the closest catalogue names and mentions --gpu-memory.
base::Result<GpuSpec> find_gpu(std::string_view name);

// A GPU given only by its memory (--gpu-memory): named "custom (<size>)".
GpuSpec custom_gpu(uint64_t memory_bytes);

// Parses a memory size: a byte count, or a number (decimals allowed) with a unit: KiB, MiB, GiB, TiB (powers of
// 1024); KB, MB, GB, TB (powers of 1000); and vLLM's single letters, K/M/G/T binary and k/m/g/t decimal. Case of the
// two- and three-letter units is ignored. `flag` names the option in errors.
base::Result<uint64_t> parse_memory_size(std::string_view text, std::string_view flag);

// "23.65 GiB": bytes in GiB with 2 decimals.
std::string format_gib(uint64_t num_bytes);

}  // namespace fovea::plan
