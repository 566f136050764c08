// vLLM's human-readable integers for token counts and byte sizes: "131072", "128k" (128000), "128K" (131072),
// "25.6k" (25600), "1m" (1000000), "1M" (1048576). Lower-case suffixes are decimal, upper-case are binary.
// Must not contain flag handling.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace fovea::serve {

// Parses `text` as vLLM's human_readable_int does; the message of an error says which forms are accepted.
base::Result<int64_t> parse_human_readable_int(std::string_view text);

}  // namespace fovea::serve
