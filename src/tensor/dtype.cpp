// DType names and sizes.
#include "tensor/dtype.h"

#include <array>
#include <utility>

namespace fovea::tensor {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int size_bytes;
  bool floating;
};

constexpr std::array<DTypeInfo, 12> kDTypes = {{
    {DType::kBool, "BOOL", 1, false},
    {DType::kU8, "U8", 1, false},
    {DType::kI8, "I8", 1, false},
    {DType::kI16, "I16", 2, false},
    {DType::kI32, "I32", 4, false},
    {DType::kI64, "I64", 8, false},
    {DType::kF16, "F16", 2, true},
    {DType::kBF16, "BF16", 2, true},
    {DType::kF32, "F32", 4, true},
    {DType::kF64, "F64", 8, true},
    {DType::kF8E4M3, "F8_E4M3", 1, true},
    {DType::kF8E5M2, "F8_E5M2", 1, true},
}};

const DTypeInfo& info(DType dtype) { return kDTypes[static_cast<size_t>(dtype)]; }

}  // namespace

int dtype_size_bytes(DType dtype) { return info(dtype).size_bytes; }

std::string_view dtype_name(DType dtype) { return info(dtype).name; }

bool is_floating(DType dtype) { return info(dtype).floating; }

std::optional<DType> parse_safetensors_dtype(std::string_view name) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

}  // namespace fovea::tensor
