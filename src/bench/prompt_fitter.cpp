// Random text cut to a token count through the server's tokenizer. Must not contain HTTP.
#include "bench/prompt_fitter.h"

#include <algorithm>
#include <cmath>

namespace fovea::bench {
namespace {

constexpr char kConsonants[] = "bcdfghjklmnprstvwz";
constexpr char kVowels[] = "aeiou";
constexpr int kMaxRounds = 8;

}  // namespace

std::string PromptFitter::random_words(int64_t num_words) {
  std::uniform_int_distribution<int> num_syllables(1, 3);
  std::uniform_int_distribution<size_t> consonant(0, sizeof(kConsonants) - 2);
  std::uniform_int_distribution<size_t> vowel(0, sizeof(kVowels) - 2);
  std::string text;
  for (int64_t word_idx = 0; word_idx < num_words; ++word_idx) {
    if (word_idx > 0) text.push_back(' ');
    const int syllables = num_syllables(rng_);
    for (int syllable_idx = 0; syllable_idx < syllables; ++syllable_idx) {
      text.push_back(kConsonants[consonant(rng_)]);
      text.push_back(kVowels[vowel(rng_)]);
    }
  }
  return text;
}

base::Result<std::string> PromptFitter::fit(int64_t num_tokens) {
  if (num_tokens <= 0) return std::string();
  const double ratio = tokens_per_word_ > 0.0 ? tokens_per_word_ : 1.0;
  int64_t num_words = static_cast<int64_t>(std::ceil(static_cast<double>(num_tokens) / ratio * 1.1)) + 4;
  std::vector<int64_t> ids;
  for (int round = 0; round < kMaxRounds; ++round) {
    const std::string text = random_words(num_words);
    FOVEA_ASSIGN_OR_RETURN(ids, calls_.tokenize(text));
    if (!ids.empty()) tokens_per_word_ = static_cast<double>(ids.size()) / static_cast<double>(num_words);
    if (static_cast<int64_t>(ids.size()) >= num_tokens) break;
    num_words *= 2;
  }
  if (static_cast<int64_t>(ids.size()) < num_tokens) {
    return base::internal_error("the server's /tokenize never gave {} tokens for random text", num_tokens);
  }
  ids.resize(static_cast<size_t>(num_tokens));
  return calls_.detokenize(ids);
}

}  // namespace fovea::bench
