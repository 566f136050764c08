// apply_g_idx: activation ordering made contiguous by a stable sort of the input columns by group.
#include <algorithm>
#include <numeric>

#include "quant/format_readers.h"

namespace fovea::quant {

base::Status apply_g_idx(const LinearTensors& tensors, std::string_view suffix, const tensor::TensorView& g_idx,
                         RepackedLinear& linear) {
  const int64_t num_in = linear.in_features;
  FOVEA_RETURN_IF_ERROR(tensors.expect_dtype(g_idx, suffix, {tensor::DType::kI32, tensor::DType::kI64}));
  FOVEA_RETURN_IF_ERROR(tensors.expect_shape(g_idx, suffix, tensor::Shape({num_in}),
                                             "one group index per input "
                                             "column"));
  const std::vector<int64_t> groups = read_ints(g_idx);
  const int64_t num_groups = linear.num_groups();
  bool trivial = true;
  for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) {
    const int64_t group_idx = groups[static_cast<size_t>(col_idx)];
    if (group_idx < 0 || group_idx >= num_groups) {
      return base::data_loss("tensor {} gives column {} group {}, outside [0, {}); the checkpoint is malformed",
                             tensors.tensor_name(suffix), col_idx, group_idx, num_groups);
    }
    trivial = trivial && group_idx == col_idx / linear.group_size;
  }
  if (trivial) return base::Status();
  std::vector<int32_t> order(static_cast<size_t>(num_in));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return groups[static_cast<size_t>(a)] < groups[static_cast<size_t>(b)];
  });
  for (int64_t col_idx = 0; col_idx < num_in; ++col_idx) {
    if (groups[static_cast<size_t>(order[static_cast<size_t>(col_idx)])] != col_idx / linear.group_size) {
      return base::unsupported(
          "tensor {} puts a different number of columns than group_size {} into group {}; "
          "fovea needs equal groups (what GPTQ and llm-compressor act-order write)",
          tensors.tensor_name(suffix), linear.group_size, col_idx / linear.group_size);
    }
  }
  linear.column_order = std::move(order);
  return base::Status();
}

}  // namespace fovea::quant
