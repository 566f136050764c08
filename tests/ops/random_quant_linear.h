// A random quantized Linear in the layout quant::place_linear takes (codes, scales, zero points, act-order
// permutation) for the CPU quantized-linear op tests. Test data only: no checks and no expected values here.
#pragma once

#include <cstdint>
#include <random>

#include "backend/weight.h"
#include "quant/repacked_linear.h"
#include "tensor/dtype.h"

namespace fovea::backend::testing {

struct RandomQuantShape {
  WeightFormat format = WeightFormat::kInt4;
  int64_t in = 0;          // K
  int64_t out = 0;         // N
  int64_t group_size = 0;  // <= 0: per channel (K)
  int64_t block_rows = 1;  // scale rows per block (fp8 blocks), 1 otherwise
  bool zeros = false;
  bool act_order = false;
  tensor::DType dequant_dtype = tensor::DType::kBF16;
};

// Random codes (fp8 codes never NaN), scales in [0.002, 0.03], zero points and a column permutation when asked.
quant::RepackedLinear random_quant_linear(const RandomQuantShape& shape, std::mt19937& rng);

}  // namespace fovea::backend::testing
