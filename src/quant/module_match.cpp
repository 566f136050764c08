// Target and ignore-list matching. The "re:" patterns come from an untrusted config.json, so a pattern std::regex
// cannot compile, or one too long or with too large a repetition count to compile in bounded memory, matches nothing
// (real lists are short patterns like "re:.*visual.*"); matching never backtracks exponentially (libstdc++'s
// polynomial mode). Must not read tensors.
#include "quant/module_match.h"

#include <cctype>
#include <regex>
#include <string>

namespace fovea::quant {
namespace {

// Longer patterns (or deeper nesting, which std::regex compiles recursively) are not in published configs.
constexpr size_t kMaxPatternChars = 256;
// std::regex expands `x{n}` into n copies; nested counts multiply, so their product is bounded.
constexpr uint64_t kMaxRepetitionProduct = 256;

#if defined(__GLIBCXX__)
// libstdc++ extension: a breadth-first matcher whose time is polynomial in the name (refuses back-references).
constexpr std::regex::flag_type kRegexFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr std::regex::flag_type kRegexFlags = std::regex::ECMAScript;
#endif

// Whether every `{n}` / `{n,m}` count is small enough that the product of all of them stays bounded (an
// over-estimate of the nested product, which is what matters).
bool repetition_counts_are_small(std::string_view pattern) {
  uint64_t product = 1;
  for (size_t idx = 0; idx < pattern.size(); ++idx) {
    if (pattern[idx] != '{') continue;
    uint64_t largest = 0;
    uint64_t current = 0;
    for (size_t digit_idx = idx + 1; digit_idx < pattern.size() && pattern[digit_idx] != '}'; ++digit_idx) {
      const char c = pattern[digit_idx];
      if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
        current = 0;
        continue;
      }
      current = current * 10 + static_cast<uint64_t>(c - '0');
      if (current > kMaxRepetitionProduct) return false;
      if (current > largest) largest = current;
    }
    product *= largest > 1 ? largest : 1;
    if (product > kMaxRepetitionProduct) return false;
  }
  return true;
}

}  // namespace

bool compressed_tensors_entry_matches(std::string_view entry, std::string_view module_name) {
  if (entry == "Linear") return true;
  if (entry.substr(0, 3) == "re:") {
    const std::string_view pattern_text = entry.substr(3);
    if (pattern_text.size() > kMaxPatternChars || !repetition_counts_are_small(pattern_text)) return false;
    try {
      const std::regex pattern(std::string(pattern_text), kRegexFlags);
      const std::string name(module_name);
      return std::regex_search(name, pattern, std::regex_constants::match_continuous);
    } catch (const std::exception&) {
      return false;
    }
  }
  return entry == module_name;
}

bool module_is_ignored(const io::QuantizationConfig& config, std::string_view module_name) {
  for (const std::string& entry : config.ignore) {
    if (config.method == io::QuantMethod::kCompressedTensors) {
      if (entry != "Linear" && compressed_tensors_entry_matches(entry, module_name)) return true;
    } else if (!entry.empty() && module_name.find(entry) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

const io::QuantizationGroup* compressed_tensors_group(const io::QuantizationConfig& config,
                                                      std::string_view module_name) {
  if (module_is_ignored(config, module_name)) return nullptr;
  for (const io::QuantizationGroup& group : config.groups) {
    if (group.num_bits <= 0) continue;
    for (const std::string& target : group.targets) {
      if (compressed_tensors_entry_matches(target, module_name)) return &group;
    }
  }
  return nullptr;
}

}  // namespace fovea::quant
