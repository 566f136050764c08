// Tensor shards in element runs: which contiguous pieces of a stored (global) tensor make up one tensor-parallel
// rank's tensor (io::TpShard), and the rank's bytes gathered from the global ones (a view into the mapping when the
// shard is one contiguous piece, else a packed host copy with zero padding rows). Must not read files or know
// model names (the loader and io::TensorParallelLayout decide what is split).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "io/tensor_parallel_layout.h"
#include "tensor/tensor_view.h"

namespace fovea::model {

// `count` consecutive elements of the rank's tensor from `local_begin` on: global elements from `global_begin` on,
// or zeros (vocabulary padding) when global_begin is negative.
struct ShardRun {
  int64_t local_begin = 0;
  int64_t global_begin = 0;
  int64_t count = 0;
};

// The runs of `shard` of a tensor of `global_shape` (shard.axis -1: one run of the whole tensor), in local order,
// covering the rank's tensor (shard.shape) exactly; adjacent contiguous runs are merged.
std::vector<ShardRun> shard_runs(std::span<const int64_t> global_shape, const io::TpShard& shard);

// A rank's tensor on the host: a view into the global tensor's bytes (one run, no padding: nothing copied) or into
// `owned`.
struct HostShard {
  tensor::TensorView view;
  std::unique_ptr<std::byte[]> owned;  // null when `view` points into the global tensor
};

// The rank's part of `global` (packed, any dtype) for `shard`.
base::Result<HostShard> gather_shard(const tensor::TensorView& global, const io::TpShard& shard);

}  // namespace fovea::model
