// PeerAllReduce's host side: peer access between every pair of cards, each rank's staging and flag memory, the
// host-mapped abort and error words, and the arguments of each call. Must not contain kernels (they are in
// peer_all_reduce_kernel.cu) or NCCL.
#include "backend/cuda/peer_all_reduce.h"

#include <algorithm>

#include "backend/cuda/cuda_util.h"

namespace fovea::backend::cuda {
namespace {

using base::Status;

// The control area at the start of each rank's allocation: [kMaxRanks][kMaxBlocks] tickets, then [epoch, done].
constexpr size_t kFlagsBytes = sizeof(uint32_t) * PeerAllReduceArgs::kMaxRanks * PeerAllReduceArgs::kMaxBlocks;
static_assert(kFlagsBytes + 2 * sizeof(uint32_t) <= PeerAllReduce::kControlBytes);

// Restores the calling thread's current device when it goes out of scope.
class DeviceRestorer {
 public:
  DeviceRestorer() { has_previous_ = cudaGetDevice(&previous_) == cudaSuccess; }
  ~DeviceRestorer() {
    if (has_previous_) cudaSetDevice(previous_);
  }
  DeviceRestorer(const DeviceRestorer&) = delete;
  DeviceRestorer& operator=(const DeviceRestorer&) = delete;

 private:
  int previous_ = 0;
  bool has_previous_ = false;
};

// One-shot reads world_size - 1 remote copies of the message per rank, NCCL's ring about 2 (N - 1) / N of it but
// with a higher fixed cost (~10 us on NVLink): the crossover falls as the world grows. Two ranks: the whole half.
size_t limit_for(int world_size) {
  if (world_size <= 2) return PeerAllReduce::kHalfBytes;
  if (world_size <= 4) return size_t{2} << 20;
  return size_t{512} << 10;
}

Status enable_peer_access(int device, int peer) {
  FOVEA_RETURN_IF_ERROR(use_device(device));
  const cudaError_t error = cudaDeviceEnablePeerAccess(peer, 0);
  if (error == cudaErrorPeerAccessAlreadyEnabled) {
    cudaGetLastError();  // not sticky, but cleared so the next launch check does not report it
    return Status();
  }
  return cuda_status(error, "enabling peer access between GPUs");
}

}  // namespace

base::Result<std::shared_ptr<PeerAllReduce>> PeerAllReduce::create(std::span<const int> devices) {
  const int world_size = static_cast<int>(devices.size());
  if (world_size < 2 || world_size > kMaxRanks) {
    return base::make_error(base::StatusCode::kUnavailable, "the peer all-reduce takes 2 to {} GPUs, not {}", kMaxRanks,
                            world_size);
  }
  for (int a : devices) {
    for (int b : devices) {
      if (a == b) continue;
      int can_access = 0;
      FOVEA_RETURN_IF_ERROR(
          cuda_status(cudaDeviceCanAccessPeer(&can_access, a, b), "asking whether two GPUs reach each other"));
      if (can_access == 0) {
        return base::make_error(base::StatusCode::kUnavailable, "cuda:{} cannot access the memory of cuda:{}", a, b);
      }
      // CUDA reports native peer atomics over NVLink, not over PCIe: the sign of NVLink here. Over PCIe the one-shot
      // reads of more than two ranks share the bus and lose to NCCL's ring (vLLM keeps its custom all-reduce to two
      // PCIe GPUs for the same reason).
      int native_atomics = 0;
      FOVEA_RETURN_IF_ERROR(
          cuda_status(cudaDeviceGetP2PAttribute(&native_atomics, cudaDevP2PAttrNativeAtomicSupported, a, b),
                      "asking how two GPUs are linked"));
      if (native_atomics == 0 && world_size > kMaxPcieRanks) {
        return base::make_error(base::StatusCode::kUnavailable,
                                "cuda:{} and cuda:{} are not joined by NVLink, and {} GPUs share PCIe", a, b,
                                world_size);
      }
    }
  }
  const DeviceRestorer restorer;
  std::shared_ptr<PeerAllReduce> world(new PeerAllReduce());
  world->limit_bytes_ = limit_for(world_size);
  world->num_blocks_max_ = PeerAllReduceArgs::kMaxBlocks;
  for (int device : devices) {
    for (int peer : devices) {
      if (peer != device) FOVEA_RETURN_IF_ERROR(enable_peer_access(device, peer));
    }
    int num_sms = 0;
    FOVEA_RETURN_IF_ERROR(cuda_status(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, device),
                                      "reading the GPU's SM count"));
    // Every block of a grid must be resident at once on every card (block b waits for block b of each peer).
    world->num_blocks_max_ = std::max(1, std::min(world->num_blocks_max_, num_sms));
  }
  // The destructor frees whatever was allocated when a step below fails.
  for (int device : devices) {
    world->ranks_.push_back(RankMemory{device, nullptr});
    RankMemory& rank = world->ranks_.back();
    FOVEA_RETURN_IF_ERROR(use_device(device));
    void* base = nullptr;
    FOVEA_RETURN_IF_ERROR(
        cuda_status(cudaMalloc(&base, kDeviceBytesPerRank), "allocating the peer all-reduce staging"));
    rank.base = static_cast<std::byte*>(base);
    FOVEA_RETURN_IF_ERROR(cuda_status(cudaMemset(base, 0, kControlBytes), "zeroing the peer all-reduce flags"));
    FOVEA_RETURN_IF_ERROR(cuda_status(cudaDeviceSynchronize(), "zeroing the peer all-reduce flags"));
  }
  void* words = nullptr;
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaHostAlloc(&words, sizeof(uint32_t) * (1 + static_cast<size_t>(world_size)),
                                                  cudaHostAllocMapped | cudaHostAllocPortable),
                                    "allocating the peer all-reduce abort words"));
  world->host_words_ = static_cast<uint32_t*>(words);
  std::fill_n(world->host_words_, 1 + world_size, 0u);
  void* device_words = nullptr;
  FOVEA_RETURN_IF_ERROR(
      cuda_status(cudaHostGetDevicePointer(&device_words, words, 0), "mapping the peer all-reduce abort words"));
  world->device_words_ = static_cast<uint32_t*>(device_words);
  return world;
}

PeerAllReduce::~PeerAllReduce() {
  const DeviceRestorer restorer;
  for (const RankMemory& rank : ranks_) {
    if (rank.base != nullptr && use_device(rank.device).ok()) cudaFree(rank.base);
  }
  if (host_words_ != nullptr) cudaFreeHost(host_words_);
}

bool PeerAllReduce::takes(int64_t numel, size_t element_bytes) const {
  return numel > 0 && static_cast<size_t>(numel) <= limit_bytes_ / element_bytes;
}

Status PeerAllReduce::enqueue(int rank_idx, void* data, int elem_type, int64_t numel, cudaStream_t stream) {
  if (aborted()) {
    return base::make_error(base::StatusCode::kFailedPrecondition,
                            "all_reduce_sum: a rank's communicator was aborted after a failure; restart the engine");
  }
  PeerAllReduceArgs args;
  args.data = data;
  args.elem_type = elem_type;
  args.numel = numel;
  args.rank = rank_idx;
  args.world_size = world_size();
  args.half_bytes = kHalfBytes;
  const int64_t pack_elems = elem_type == 0 ? 4 : 8;  // 16 bytes
  const int64_t num_units = numel / pack_elems + numel % pack_elems;
  const int64_t blocks = (num_units + PeerAllReduceArgs::kThreads - 1) / PeerAllReduceArgs::kThreads;
  args.num_blocks = static_cast<int>(std::min<int64_t>(blocks, num_blocks_max_));
  for (int idx = 0; idx < world_size(); ++idx) {
    std::byte* base = ranks_[static_cast<size_t>(idx)].base;
    args.flags[idx] = reinterpret_cast<uint32_t*>(base);
    args.staging[idx] = base + kControlBytes;
  }
  args.state = reinterpret_cast<uint32_t*>(ranks_[static_cast<size_t>(rank_idx)].base + kFlagsBytes);
  args.abort_word = device_words_;
  args.error_word = device_words_ + 1 + rank_idx;
  return cuda_status(launch_peer_all_reduce(args, stream), "all_reduce_sum: launching the peer all-reduce kernel");
}

void PeerAllReduce::abort() { __atomic_store_n(host_words_, 1u, __ATOMIC_SEQ_CST); }

bool PeerAllReduce::aborted() const { return __atomic_load_n(host_words_, __ATOMIC_SEQ_CST) != 0; }

bool PeerAllReduce::gave_up(int rank_idx) const {
  return __atomic_load_n(host_words_ + 1 + rank_idx, __ATOMIC_SEQ_CST) != 0;
}

}  // namespace fovea::backend::cuda
