// Test helpers of quant/: a synthetic checkpoint (named tensors over owned bytes, a TensorLookup) and encoders that
// write each format's tensors from integer codes as spec §6 describes the producers doing it, so the readers can
// be checked against the formula on the codes. Must not contain tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "io/quantization_config.h"
#include "quant/tensor_lookup.h"
#include "tensor/dtype.h"
#include "tensor/float_convert.h"
#include "tensor/shape.h"

namespace fovea::quant::testing {

class SyntheticCheckpoint {
 public:
  const TensorLookup& lookup() const { return lookup_; }

  void add_bytes(const std::string& name, tensor::DType dtype, tensor::Shape shape, std::vector<uint8_t> bytes) {
    storage_.push_back(std::move(bytes));
    lookup_.add(name, tensor::TensorView{storage_.back().data(), dtype, std::move(shape)});
  }
  template <typename T>
  void add(const std::string& name, tensor::DType dtype, tensor::Shape shape, const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    add_bytes(name, dtype, std::move(shape), std::move(bytes));
  }
  void add_i32(const std::string& name, tensor::Shape shape, const std::vector<uint32_t>& words) {
    add(name, tensor::DType::kI32, std::move(shape), words);
  }
  // Floats stored as bf16 / f16 / f32.
  void add_floats(const std::string& name, tensor::DType dtype, tensor::Shape shape, const std::vector<float>& values) {
    if (dtype == tensor::DType::kF32) return add(name, dtype, std::move(shape), values);
    std::vector<uint16_t> halves;
    for (float value : values) {
      halves.push_back(dtype == tensor::DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value));
    }
    add(name, dtype, std::move(shape), halves);
  }

 private:
  MapLookup lookup_;
  std::deque<std::vector<uint8_t>> storage_;
};

// Packs `values` (each < 2^bits) of a [rows, cols] matrix along the columns, 32/bits per uint32, LSB first.
inline std::vector<uint32_t> pack_columns(const std::vector<uint32_t>& values, int64_t rows, int64_t cols, int bits) {
  const int64_t per_word = 32 / bits;
  const int64_t words = (cols + per_word - 1) / per_word;
  std::vector<uint32_t> out(static_cast<size_t>(rows * words), 0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      out[static_cast<size_t>(r * words + c / per_word)] |= values[static_cast<size_t>(r * cols + c)]
                                                            << (bits * (c % per_word));
    }
  }
  return out;
}

// The transpose of a [rows, cols] matrix.
template <typename T>
std::vector<T> transpose(const std::vector<T>& values, int64_t rows, int64_t cols) {
  std::vector<T> out(values.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      out[static_cast<size_t>(c * rows + r)] = values[static_cast<size_t>(r * cols + c)];
  }
  return out;
}

// A parsed quantization_config from JSON text (the test fails loudly on bad text).
io::QuantizationConfig parse_config(const std::string& json, bool assume_gptq = false);

}  // namespace fovea::quant::testing
