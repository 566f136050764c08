// Shard runs: a tensor seen as [outer, axis, inner] around the split axis; each outer index contributes one run per
// range (range.count * inner elements) and one zero run for padding.
#include "model/tensor_shard.h"

#include <algorithm>
#include <cstring>

namespace fovea::model {

std::vector<ShardRun> shard_runs(std::span<const int64_t> global_shape, const io::TpShard& shard) {
  int64_t global_numel = 1;
  for (int64_t extent : global_shape) global_numel *= extent;
  if (shard.axis < 0) return {ShardRun{0, 0, global_numel}};
  const auto axis = static_cast<size_t>(shard.axis);
  int64_t outer = 1;
  for (size_t dim = 0; dim < axis; ++dim) outer *= global_shape[dim];
  int64_t inner = 1;
  for (size_t dim = axis + 1; dim < global_shape.size(); ++dim) inner *= global_shape[dim];
  const int64_t global_extent = global_shape[axis];
  const int64_t local_extent = shard.shape[axis];
  std::vector<ShardRun> runs;
  int64_t local = 0;
  auto append = [&](int64_t global_begin, int64_t count) {
    if (count == 0) return;
    if (!runs.empty()) {
      ShardRun& last = runs.back();
      const bool both_zero = last.global_begin < 0 && global_begin < 0;
      const bool contiguous = last.global_begin >= 0 && global_begin == last.global_begin + last.count;
      if (both_zero || contiguous) {
        last.count += count;
        local += count;
        return;
      }
    }
    runs.push_back({local, global_begin, count});
    local += count;
  };
  for (int64_t outer_idx = 0; outer_idx < outer; ++outer_idx) {
    int64_t held = 0;
    for (const io::IndexRange& range : shard.ranges) {
      append((outer_idx * global_extent + range.begin) * inner, range.count * inner);
      held += range.count;
    }
    append(-1, (local_extent - held) * inner);
  }
  return runs;
}

base::Result<HostShard> gather_shard(const tensor::TensorView& global, const io::TpShard& shard) {
  const std::vector<int64_t>& global_dims = global.shape.dims();
  if (shard.axis >= static_cast<int>(global_dims.size()) || shard.shape.size() != global_dims.size()) {
    return base::data_loss("a tensor of shape {} cannot hold a shard of {} dimensions along axis {}",
                           global.shape.to_string(), shard.shape.size(), shard.axis);
  }
  const std::vector<ShardRun> runs = shard_runs(global_dims, shard);
  HostShard host;
  host.view.dtype = global.dtype;
  host.view.shape = tensor::Shape(shard.shape);
  if (runs.size() == 1 && runs.front().global_begin >= 0) {
    host.view.data = static_cast<const std::byte*>(global.data) +
                     static_cast<size_t>(runs.front().global_begin) * tensor::dtype_size_bytes(global.dtype);
    return host;
  }
  const auto element_bytes = static_cast<size_t>(tensor::dtype_size_bytes(global.dtype));
  host.owned = std::make_unique_for_overwrite<std::byte[]>(std::max<size_t>(host.view.size_bytes(), 1));
  const auto* source = static_cast<const std::byte*>(global.data);
  for (const ShardRun& run : runs) {
    std::byte* out = host.owned.get() + static_cast<size_t>(run.local_begin) * element_bytes;
    const size_t bytes = static_cast<size_t>(run.count) * element_bytes;
    if (run.global_begin < 0) {
      std::memset(out, 0, bytes);
    } else {
      std::memcpy(out, source + static_cast<size_t>(run.global_begin) * element_bytes, bytes);
    }
  }
  host.view.data = host.owned.get();
  return host;
}

}  // namespace fovea::model
