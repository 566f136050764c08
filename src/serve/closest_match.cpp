// Edit distance and the nearest-candidate rule used for "did you mean" suggestions.
// Must not contain any list of names.
#include "serve/closest_match.h"

#include <algorithm>

namespace fovea::serve {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: a swap of two neighbouring characters ("prot" for "port") is one edit. Three rows
  // of the table are enough: the swap looks two rows back.
  std::vector<size_t> two_back(b.size() + 1);
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t col_idx = 0; col_idx <= b.size(); ++col_idx) previous[col_idx] = col_idx;
  for (size_t row_idx = 1; row_idx <= a.size(); ++row_idx) {
    current[0] = row_idx;
    for (size_t col_idx = 1; col_idx <= b.size(); ++col_idx) {
      const size_t cost = a[row_idx - 1] == b[col_idx - 1] ? 0 : 1;
      size_t best = std::min({previous[col_idx] + 1, current[col_idx - 1] + 1, previous[col_idx - 1] + cost});
      if (row_idx > 1 && col_idx > 1 && a[row_idx - 1] == b[col_idx - 2] && a[row_idx - 2] == b[col_idx - 1]) {
        best = std::min(best, two_back[col_idx - 2] + 1);
      }
      current[col_idx] = best;
    }
    std::swap(two_back, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Nothing sensible is near a very long word, and comparing it would cost time on hostile input.
  constexpr size_t kMaxWordBytes = 128;
  std::optional<std::string> best;
  if (word.size() > kMaxWordBytes) return best;
  size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const size_t longer = std::max(word.size(), candidate.size());
    const size_t allowed = std::max<size_t>(1, longer / 3);
    const bool prefix = word.size() >= 3 && candidate.size() >= 3 &&
                        (candidate.substr(0, word.size()) == word || word.substr(0, candidate.size()) == candidate);
    const size_t length_gap = longer - std::min(word.size(), candidate.size());
    if (!prefix && length_gap > allowed) continue;  // the distance is at least the length gap
    const size_t distance = edit_distance(word, candidate);
    const bool near = distance <= allowed || prefix;
    if (near && (!best || distance < best_distance)) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace fovea::serve
