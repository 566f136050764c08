// Stop-string search over a sequence's output text, as vLLM's check_stop_strings: the first stop string (in the
// request's order) that overlaps the newly added text wins. Also how much of the text's end must be held back while
// streaming because it could still become a stop string. Byte offsets into valid UTF-8 (a match always starts at
// a character boundary). Must not contain detokenization.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fovea::engine {

struct StopMatch {
  size_t stop_idx = 0;        // index into the stop strings
  size_t truncate_bytes = 0;  // the text keeps [0, truncate_bytes)
};

// Finds a stop string that ends inside the last `num_new_bytes` bytes of `text`. The text is cut before the stop
// string, or after it with `include_in_output`.
std::optional<StopMatch> find_stop_string(std::string_view text, size_t num_new_bytes,
                                          std::span<const std::string> stops, bool include_in_output);

// Length of the longest suffix of `text` that is a proper prefix of one of `stops` (0 when none).
size_t partial_stop_suffix_bytes(std::string_view text, std::span<const std::string> stops);

}  // namespace fovea::engine
