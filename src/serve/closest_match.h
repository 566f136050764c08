// Closest-name suggestions for unknown flags and choices ("did you mean --max-model-len?").
// Must not contain any list of names: callers pass their candidates.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::serve {

// Edit distance: insertions, deletions, substitutions and swaps of neighbouring characters each cost 1.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, when it is near enough to be a plausible typo: within a third of the longer
// length (at least 1 edit), or when one is a prefix of the other. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace fovea::serve
