// The arguments of PeerAllReduce's kernel and its launcher: plain data shared by the host code (peer_all_reduce.cpp,
// C++20) and the kernel (peer_all_reduce_kernel.cu, C++17). Must not contain fovea Status, std::span or logic.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace fovea::backend::cuda {

// What the kernel of one rank reads, filled once per call by PeerAllReduce::enqueue; every address is a device
// address (the host-mapped words included).
struct PeerAllReduceArgs {
  static constexpr int kMaxRanks = 8;
  static constexpr int kMaxBlocks = 64;  // flag slots per source rank; the grid never exceeds it
  static constexpr int kThreads = 512;

  void* data = nullptr;  // [numel] of elem_type: the tensor, reduced in place (not owned)
  int elem_type = 0;     // 0 f32, 1 bf16, 2 f16
  int64_t numel = 0;
  int rank = 0;
  int world_size = 0;
  int num_blocks = 0;
  size_t half_bytes = 0;                 // bytes of one of the two staging halves
  std::byte* staging[kMaxRanks] = {};    // rank r's two staging halves, back to back
  uint32_t* flags[kMaxRanks] = {};       // rank r's [kMaxRanks][kMaxBlocks] arrival tickets, written by the peers
  uint32_t* state = nullptr;             // this rank's [epoch, blocks done], advanced by the kernel itself
  const uint32_t* abort_word = nullptr;  // host-mapped, shared: non-zero once any rank's communicator aborted
  uint32_t* error_word = nullptr;        // host-mapped, this rank's: set when a kernel stopped waiting on abort
};

// Enqueues the kernel of one rank on `stream` (peer_all_reduce_kernel.cu); returns the launch error.
cudaError_t launch_peer_all_reduce(const PeerAllReduceArgs& args, cudaStream_t stream);

}  // namespace fovea::backend::cuda
