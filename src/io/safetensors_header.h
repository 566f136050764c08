// SafetensorsHeader: the validated table of contents of one safetensors file, parsed from the file's bytes.
// Validation is strict (as the reference reader): sizes checked with overflow-safe arithmetic, tensors tile the
// data section exactly. Works on bytes in memory so the fuzzer needs no files. Must not map or read files.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace fovea::io {

// The reference reader's limit on the JSON header.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsTensorInfo {
  std::string name;
  tensor::DType dtype = tensor::DType::kF32;
  tensor::Shape shape;
  uint64_t data_begin_bytes = 0;  // offset inside the data section (file offset = data_offset_bytes + this)
  uint64_t data_end_bytes = 0;    // exclusive
  uint64_t size_bytes() const { return data_end_bytes - data_begin_bytes; }
};

struct SafetensorsHeader {
  uint64_t header_size_bytes = 0;  // N, the JSON header's length (after the 8-byte length prefix)
  uint64_t data_offset_bytes = 0;  // 8 + N: where the data section starts in the file
  uint64_t data_size_bytes = 0;
  std::vector<SafetensorsTensorInfo> tensors;                 // sorted by data offset
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", sorted by key
};

// Validates a whole safetensors file given as bytes: layout [u64 LE N][N bytes JSON][data]. `file_label` names the
// file in errors ("model-00001-of-00002.safetensors: ...").
base::Result<SafetensorsHeader> parse_safetensors(std::span<const uint8_t> file_bytes, std::string_view file_label);

}  // namespace fovea::io
