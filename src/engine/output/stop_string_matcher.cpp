// Stop-string search and hold-back length (see stop_string_matcher.h). Must not contain detokenization.
#include "engine/output/stop_string_matcher.h"

#include <algorithm>

namespace fovea::engine {

std::optional<StopMatch> find_stop_string(std::string_view text, size_t num_new_bytes,
                                          std::span<const std::string> stops, bool include_in_output) {
  if (num_new_bytes == 0) return std::nullopt;
  for (size_t stop_idx = 0; stop_idx < stops.size(); ++stop_idx) {
    const std::string& stop = stops[stop_idx];
    if (stop.empty()) continue;
    // The match must end after the old text: start at (old end - stop length + 1), clamped to 0.
    size_t old_end = text.size() - std::min(num_new_bytes, text.size());
    size_t from = old_end + 1 > stop.size() ? old_end + 1 - stop.size() : 0;
    size_t pos = text.find(stop, from);
    if (pos == std::string_view::npos) continue;
    return StopMatch{stop_idx, include_in_output ? pos + stop.size() : pos};
  }
  return std::nullopt;
}

size_t partial_stop_suffix_bytes(std::string_view text, std::span<const std::string> stops) {
  size_t longest = 0;
  for (const std::string& stop : stops) {
    size_t max_len = std::min(text.size(), stop.empty() ? 0 : stop.size() - 1);
    for (size_t len = max_len; len > longest; --len) {
      if (text.substr(text.size() - len) == std::string_view(stop).substr(0, len)) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

}  // namespace fovea::engine
