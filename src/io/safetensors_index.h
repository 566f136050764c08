// SafetensorsIndex: model.safetensors.index.json of a sharded checkpoint (tensor name -> shard file name).
// Shard names must be plain file names inside the model folder. Must not open the shards.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::io {

inline constexpr std::string_view kSafetensorsIndexFileName = "model.safetensors.index.json";

struct SafetensorsIndex {
  std::map<std::string, std::string, std::less<>> weight_map;  // tensor name -> shard file name
  std::vector<std::string> shard_files;                        // distinct shard names, sorted
  std::optional<uint64_t> total_size_bytes;                    // metadata.total_size (informational only)
};

// Parses the index text; `file_label` names the file in errors. Duplicate tensor names are an error.
base::Result<SafetensorsIndex> parse_safetensors_index(std::string_view text, std::string_view file_label);

// OK when `name` is a plain file name (no '/', '\\' or NUL, not "." or ".."); otherwise says why not.
base::Status check_shard_file_name(std::string_view name, std::string_view file_label);

}  // namespace fovea::io
