// DType: element types of tensors as they appear in checkpoints and in the backends.
// Must not contain tensor storage or math.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fovea::tensor {

enum class DType : uint8_t {
  kBool,
  kU8,
  kI8,
  kI16,
  kI32,
  kI64,
  kF16,
  kBF16,
  kF32,
  kF64,
  kF8E4M3,  // "float8_e4m3fn": no infinities, max finite 448
  kF8E5M2,
};

// Size of one element in bytes.
int dtype_size_bytes(DType dtype);

// The safetensors spelling ("BF16", "F8_E4M3", ...).
std::string_view dtype_name(DType dtype);

// Parses a safetensors dtype string; nullopt for dtypes fovea does not load.
std::optional<DType> parse_safetensors_dtype(std::string_view name);

bool is_floating(DType dtype);

}  // namespace fovea::tensor
