// Small whole-file helpers: read a text file into memory, with clear errors and a size cap.
// Must not contain format parsing.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace fovea::base {

// Reads a whole file; refuses files larger than max_bytes (configs and tokenizers are small).
Result<std::string> read_file(const std::string& path, uint64_t max_bytes = uint64_t{1} << 30);

bool file_exists(const std::string& path);

}  // namespace fovea::base
