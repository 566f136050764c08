// ShardedLookup: each stored tensor of the module through io::TensorParallelLayout::shard and gather_shard.
#include "model/sharded_lookup.h"

#include <array>
#include <cstring>

namespace fovea::model {
namespace {

// Every tensor name suffix a Linear of any supported format stores (quant/ reads no others).
constexpr std::array<std::string_view, 14> kLinearSuffixes = {
    "weight",
    "weight_packed",
    "weight_scale",
    "weight_zero_point",
    "weight_g_idx",
    "weight_shape",
    "qweight",
    "qzeros",
    "scales",
    "g_idx",
    "input_scale",
    "weight_scale_inv",
    "weight_global_scale",
    "input_global_scale",
};

// compressed-tensors' [out, in] of the shard, in the stored dtype (i64 or i32; others are left to quant/ to refuse).
base::Result<HostShard> rewritten_weight_shape(const tensor::TensorView& stored, int64_t out_features,
                                               int64_t in_features) {
  HostShard host;
  host.view = stored;
  if (stored.numel() != 2) return host;
  if (stored.dtype != tensor::DType::kI64 && stored.dtype != tensor::DType::kI32) return host;
  host.owned = std::make_unique<std::byte[]>(2 * sizeof(int64_t));
  if (stored.dtype == tensor::DType::kI64) {
    const std::array<int64_t, 2> values = {out_features, in_features};
    std::memcpy(host.owned.get(), values.data(), sizeof(values));
  } else {
    const std::array<int32_t, 2> values = {static_cast<int32_t>(out_features), static_cast<int32_t>(in_features)};
    std::memcpy(host.owned.get(), values.data(), sizeof(values));
  }
  host.view.data = host.owned.get();
  return host;
}

// GPTQ / compressed-tensors g_idx holds global group numbers. When a row-parallel rank's scales hold only its own
// groups (no act-order: the layout splits them from group `first_group` on), its g_idx must count from there;
// with act-order the scales stay whole and g_idx keeps its global numbers (vLLM's marlin rule).
base::Status rebase_groups(HostShard& g_idx, int64_t first_group, std::string_view name) {
  if (first_group == 0) return base::Status();
  if (g_idx.view.dtype != tensor::DType::kI32) {
    return base::unsupported("{} has dtype {}; fovea splits an int32 g_idx over tensor-parallel ranks", name,
                             tensor::dtype_name(g_idx.view.dtype));
  }
  if (g_idx.owned == nullptr) {
    g_idx.owned = std::make_unique<std::byte[]>(g_idx.view.size_bytes());
    std::memcpy(g_idx.owned.get(), g_idx.view.data, g_idx.view.size_bytes());
    g_idx.view.data = g_idx.owned.get();
  }
  auto* groups = reinterpret_cast<int32_t*>(g_idx.owned.get());
  for (int64_t idx = 0; idx < g_idx.view.numel(); ++idx) groups[idx] -= static_cast<int32_t>(first_group);
  return base::Status();
}

}  // namespace

base::Result<ShardedLookup> ShardedLookup::create(const io::WeightTable& table, const io::TensorParallelLayout& layout,
                                                  int rank_idx, std::string_view module_name, int64_t out_features,
                                                  int64_t in_features) {
  ShardedLookup lookup;
  // The first input group a row-parallel rank's scales start at (0 when they are whole or split by outputs).
  int64_t first_group = 0;
  // A row-parallel rank's scales that keep every input group (act-order, vLLM's marlin rule).
  bool keeps_all_groups = false;
  for (std::string_view suffix : kLinearSuffixes) {
    std::string name = std::string(module_name) + "." + std::string(suffix);
    const io::WeightEntry* entry = table.find(name);
    if (entry == nullptr) continue;
    HostShard host;
    if (suffix == "weight_shape") {
      FOVEA_ASSIGN_OR_RETURN(host, rewritten_weight_shape(entry->view, out_features, in_features));
    } else {
      FOVEA_ASSIGN_OR_RETURN(io::TpShard shard, layout.shard(name, entry->view.shape.dims(), rank_idx));
      FOVEA_ASSIGN_OR_RETURN(host, gather_shard(entry->view, shard));
      // GPTQ scales are [groups, N], compressed-tensors' [N, groups].
      const int group_axis = suffix == "scales" ? 0 : 1;
      const bool row_split = layout.split_of_module(module_name) == io::TpSplit::kRow;
      const bool is_scales = suffix == "scales" || suffix == "weight_scale";
      if (is_scales && row_split && shard.axis == group_axis) first_group = shard.ranges.front().begin;
      if (is_scales && row_split && shard.axis < 0 && entry->view.shape.rank() == 2 &&
          entry->view.shape[group_axis] > 1) {
        keeps_all_groups = true;
      }
      if ((suffix == "g_idx" || suffix == "weight_g_idx") && row_split && shard.axis == 0) {
        if (keeps_all_groups) {
          return base::unsupported(
              "{}: act-order quantized weights (desc_act / actorder group) of a row-parallel Linear cannot be split "
              "over tensor-parallel ranks yet (each rank would keep every group's scales, which fovea's quantized "
              "readers do not take); use --tensor-parallel-size 1 or a checkpoint without act-order",
              module_name);
        }
        FOVEA_RETURN_IF_ERROR(rebase_groups(host, first_group, name));
      }
    }
    lookup.shards_.emplace(std::move(name), std::move(host));
  }
  return lookup;
}

const tensor::TensorView* ShardedLookup::find(std::string_view name) const {
  auto it = shards_.find(name);
  return it == shards_.end() ? nullptr : &it->second.view;
}

std::vector<std::unique_ptr<std::byte[]>> ShardedLookup::take_owned() {
  std::vector<std::unique_ptr<std::byte[]>> owned;
  for (auto& [name, host] : shards_) {
    if (host.owned) owned.push_back(std::move(host.owned));
  }
  return owned;
}

}  // namespace fovea::model
