// Fuzz target: safetensors validation of arbitrary bytes (the whole file in memory). Any accepted file must
// describe tensors that lie inside the input and tile its data section.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto header = fovea::io::parse_safetensors({data, size}, "fuzz.safetensors");
  if (!header.ok()) return 0;
  uint64_t covered_bytes = 0;
  for (const fovea::io::SafetensorsTensorInfo& info : header->tensors) {
    if (info.data_end_bytes > header->data_size_bytes || info.data_begin_bytes > info.data_end_bytes) std::abort();
    if (static_cast<uint64_t>(info.shape.numel()) *
            static_cast<uint64_t>(fovea::tensor::dtype_size_bytes(info.dtype)) !=
        info.size_bytes()) {
      std::abort();
    }
    covered_bytes += info.size_bytes();
  }
  if (covered_bytes != header->data_size_bytes || header->data_offset_bytes + header->data_size_bytes != size) {
    std::abort();
  }
  return 0;
}
