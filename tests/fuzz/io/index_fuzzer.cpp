// Fuzz target: model.safetensors.index.json parsing. Every accepted shard name must be a plain file name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/safetensors_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = fovea::io::parse_safetensors_index(text, "fuzz.index.json");
  if (!index.ok()) return 0;
  for (const std::string& shard : index->shard_files) {
    if (shard.empty() || shard == ".." || shard.find('/') != std::string::npos) std::abort();
  }
  return 0;
}
