// Random quantized Linears for the CPU quantized-linear op tests (random_quant_linear.h).
#include "random_quant_linear.h"

#include <algorithm>
#include <numeric>

namespace fovea::backend::testing {

quant::RepackedLinear random_quant_linear(const RandomQuantShape& shape, std::mt19937& rng) {
  quant::RepackedLinear linear;
  linear.format = shape.format;
  linear.out_features = shape.out;
  linear.in_features = shape.in;
  linear.group_size = shape.group_size > 0 ? shape.group_size : shape.in;
  linear.scale_block_rows = shape.block_rows;
  linear.dequant_dtype = shape.dequant_dtype;
  linear.code_row_bytes = linear.packed_row_bytes();
  linear.codes.resize(static_cast<size_t>(shape.out * linear.code_row_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& value : linear.codes) {
    value = static_cast<uint8_t>(byte(rng));
    if (shape.format == WeightFormat::kFp8 && (value & 0x7f) == 0x7f) value = 0x38;  // no NaN weights
  }
  const int64_t scale_rows = (shape.out + shape.block_rows - 1) / shape.block_rows;
  std::uniform_real_distribution<float> scale(0.002f, 0.03f);
  linear.scales.resize(static_cast<size_t>(scale_rows * linear.num_groups()));
  for (float& value : linear.scales) value = scale(rng);
  if (shape.zeros) {
    std::uniform_int_distribution<int> zero(0, shape.format == WeightFormat::kInt4 ? 15 : 255);
    linear.zeros.resize(static_cast<size_t>(shape.out * linear.num_groups()));
    for (uint8_t& value : linear.zeros) value = static_cast<uint8_t>(zero(rng));
  }
  if (shape.act_order) {
    linear.column_order.resize(static_cast<size_t>(shape.in));
    std::iota(linear.column_order.begin(), linear.column_order.end(), 0);
    std::shuffle(linear.column_order.begin(), linear.column_order.end(), rng);
  }
  return linear;
}

}  // namespace fovea::backend::testing
