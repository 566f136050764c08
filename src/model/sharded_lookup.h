// ShardedLookup: the tensors of one Linear module as one tensor-parallel rank holds them, served to
// quant::load_linear as a TensorLookup, so every storage format (dense, compressed-tensors, AWQ, GPTQ, FP8) loads
// its shard with the unchanged readers. compressed-tensors' weight_shape is rewritten to the shard's [out, in].
// Must not contain format-specific repacking (quant/) or the split rule (io::TensorParallelLayout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/tensor_parallel_layout.h"
#include "io/weight_table.h"
#include "model/tensor_shard.h"
#include "quant/tensor_lookup.h"

namespace fovea::model {

class ShardedLookup final : public quant::TensorLookup {
 public:
  // Shards every stored tensor of `module_name` for rank `rank_idx`; [out_features, in_features] is the module's
  // shape on that rank. Errors: a quantized shard that would cut a packed word, group or FP8 block, or a stored
  // shape that disagrees with config.json (from the layout).
  static base::Result<ShardedLookup> create(const io::WeightTable& table, const io::TensorParallelLayout& layout,
                                            int rank_idx, std::string_view module_name, int64_t out_features,
                                            int64_t in_features);

  // The rank's view of `name`; nullptr for tensors the module does not store.
  const tensor::TensorView* find(std::string_view name) const override;

  // Host copies the views point into (shards that are not one contiguous piece of the mapping). A CPU backend
  // uses weights in place, so whoever keeps the weights must keep these.
  std::vector<std::unique_ptr<std::byte[]>> take_owned();

 private:
  ShardedLookup() = default;

  std::map<std::string, HostShard, std::less<>> shards_;
};

}  // namespace fovea::model
