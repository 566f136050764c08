// Runtime overheads per GPU from the measured constants of runtime_overhead.h.
#include "plan/runtime_overhead.h"

#include <algorithm>

namespace fovea::plan {

std::vector<int64_t> cuda_graph_batch_sizes(int64_t max_num_seqs) {
  const int64_t limit = std::min<int64_t>(max_num_seqs, 512);
  std::vector<int64_t> sizes;
  for (int64_t size : {1, 2, 4}) {
    if (size <= limit) sizes.push_back(size);
  }
  for (int64_t size = 8; size <= std::min<int64_t>(limit, 256); size += 8) sizes.push_back(size);
  for (int64_t size = 272; size <= limit; size += 16) sizes.push_back(size);
  return sizes;
}

RuntimeOverhead runtime_overhead(const GpuSpec& gpu, int64_t tensor_parallel_size, int64_t max_num_seqs,
                                 bool enforce_eager, bool disable_custom_all_reduce) {
  RuntimeOverhead overhead;
  overhead.cuda_context = kCudaContextBytes;
  overhead.cublas = kCublasBytes;
  if (tensor_parallel_size > 1) overhead.nccl = gpu.nvlink ? kNcclNvlinkBytes : kNcclPcieBytes;
  const bool peer_all_reduce = tensor_parallel_size > 1 && !disable_custom_all_reduce && gpu.peer_access &&
                               tensor_parallel_size <= kPeerAllReduceMaxRanks &&
                               (gpu.nvlink || tensor_parallel_size <= kPeerAllReduceMaxPcieRanks);
  if (peer_all_reduce) overhead.peer_all_reduce = kPeerAllReduceBytes;
  if (!enforce_eager) {
    overhead.num_cuda_graphs = static_cast<int64_t>(cuda_graph_batch_sizes(max_num_seqs).size());
    overhead.cuda_graphs = static_cast<uint64_t>(overhead.num_cuda_graphs) * kCudaGraphBytes;
  }
  return overhead;
}

}  // namespace fovea::plan
